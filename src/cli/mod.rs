//! The command line: parse, check the options, dispatch, map errors to exit codes.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod shard;

use crate::error::{Error, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK};
use crate::periods::Grain;
use crate::run::RunOptions;
use crate::runlog::{LogFormat, RunLog};

#[derive(Debug, Parser)]
#[command(
    name = "factorscore",
    version,
    about = "Exact ledger metrics and scorecards per person and period, for factoring companies",
    after_help = "Examples:\n  factorscore run pipelines/monthly.yaml --from 2024-01 --to 2026-10\n  factorscore explain pipelines/monthly.yaml --employee E00001 --period 2026-10\n  factorscore validate pipelines/monthly.yaml\n  factorscore schema > pipeline.schema.json\n\nExit codes: 0 ok, 1 bad input or pipeline, 2 internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the scorecards of one or more periods and write them as Parquet.
    #[command(
        after_help = "Examples:\n  factorscore run pipelines/monthly.yaml --period 2026-10\n  factorscore run pipelines/monthly.yaml --from 2024-01 --to 2026-10 --out /data/scores\n  factorscore run pipelines/monthly.yaml --grain quarter --period 2026-Q3\n\nWithout a period option, the pipeline's `periods` are used, or else every period from the first\npurchase to the last ledger event. A period's partition is replaced as a whole; others are kept."
    )]
    Run(RunArgs),
    /// Score the past under a proposed set of plans beside the pipeline's, and compare pay and
    /// grades (contract 5.4), computing the metrics once.
    #[command(
        after_help = "Examples:\n  factorscore compare pipelines/monthly.yaml --plans proposed.yaml\n  factorscore compare pipelines/monthly.yaml --plans proposed.yaml --from 2025-01 --to 2025-12 --out /tmp/cmp\n  factorscore compare pipelines/monthly.yaml --plans proposed.yaml --period 2026-Q3 --grain quarter --format json\n\nThe proposed file holds a `plans` list in the pipeline's shape, nothing else. Periods and grain as for `run`.\nWith --out DIR: DIR/plan_comparison/grain=G/period=P/part-0.parquet and DIR/plan_comparison.html."
    )]
    Compare(CompareArgs),
    /// Split a slice of the input files into the buckets of a run's parts, for `shard --buckets`.
    #[command(
        after_help = "Examples:\n  factorscore bucket pipelines/monthly.yaml --slice 0 --slices 2 --count 4 --out /shared/buckets\n  factorscore shard pipelines/monthly.yaml --index 3 --count 4 --buckets /shared/buckets --out /shared/parts\n\nSlice M reads the files i of each large table with i % slices == M. Rows go to the part of their\nclient (events: of their invoice's client; reviews: of their employee). Run every slice, then the shards."
    )]
    Bucket(shard::BucketArgs),
    /// Compute one part of a run's clients (of `--count`) and write its facts, for `merge`.
    #[command(
        after_help = "Examples:\n  factorscore shard pipelines/monthly.yaml --index 0 --count 4 --out /shared/parts\n  JOB_COMPLETION_INDEX=2 factorscore shard pipelines/monthly.yaml --count 4 --out /shared/parts\n\nA client's part is the xxh3 of its id modulo the count; reviews go by the employee's id.\nEvery part and the merge take the same pipeline, inputs and period options."
    )]
    Shard(shard::ShardArgs),
    /// Add up a run's parts (`shard`) and write the run's outputs exactly as `run` does.
    #[command(
        after_help = "Example:\n  factorscore merge pipelines/monthly.yaml --partials /shared/parts --count 4 --out /data/scores\n\nRefused when a part is missing, given twice, damaged, or of another run."
    )]
    Merge(shard::MergeArgs),
    /// Print one employee's scorecard statement for a period, writing nothing.
    ///
    /// For every KPI: the actual and the figures behind it, the target and its source, any
    /// appeal, the score, weight and weighted score; then the composite, grade, group rank,
    /// swing and the bonus arithmetic.
    #[command(
        after_help = "Examples:\n  factorscore explain pipelines/monthly.yaml --employee E00001 --period 2026-10\n  factorscore explain pipelines/monthly.yaml --employee E00001 --period 2026-Q3 --grain quarter --format json"
    )]
    Explain(ExplainArgs),
    /// Write an HTML report from an output folder: a company overview and a statement per employee.
    #[command(
        after_help = "Examples:\n  factorscore report out\n  factorscore report out --period 2026-10 --lang zh\n  factorscore report out --split out/statements\n\nThe page is self-contained (inline SVG, no script, no network). Without --period it reports the last period written, with trends over the 12 periods before it."
    )]
    Report(crate::report::ReportOptions),
    /// List the metrics a plan can score: name, type, unit, meaning and formula; with a pipeline,
    /// its custom metrics too.
    #[command(
        after_help = "Examples:\n  factorscore metrics\n  factorscore metrics pipelines/monthly.yaml\n  factorscore metrics --markdown"
    )]
    Metrics {
        /// A pipeline whose custom metrics (its `metrics` list) are listed after the built-ins.
        pipeline: Option<PathBuf>,
        /// Print the README's Markdown table.
        #[arg(long)]
        markdown: bool,
    },
    /// Check a pipeline and its sources' files and headers, computing nothing.
    #[command(
        after_help = "Example:\n  factorscore validate pipelines/monthly.yaml\n\nEvery problem is listed as file:line:column: key: message, with a hint where one is known."
    )]
    Validate {
        /// The pipeline file (YAML).
        pipeline: PathBuf,
    },
    /// Read every source once and count its rows, computing nothing (the benchmark's floor).
    #[command(after_help = "Example:\n  factorscore scan pipelines/monthly.yaml")]
    Scan {
        /// The pipeline file (YAML).
        pipeline: PathBuf,
    },
    /// List the runs recorded in an output folder or object-store prefix, oldest first, with their outcome.
    #[command(after_help = "Example:\n  factorscore runs out")]
    Runs {
        /// The output folder, or an object-store URL (credentials from the environment).
        out: PathBuf,
    },
    /// Print the JSON Schema of pipeline files, for editor completion.
    #[command(after_help = "Example:\n  factorscore schema > pipeline.schema.json")]
    Schema,
    /// Write a seeded synthetic factoring company in the canonical tables.
    #[command(
        after_help = "Examples:\n  factorscore generate --out sample_data\n  factorscore generate --out /tmp/s10 --preset s10 --format parquet"
    )]
    Generate(GenerateArgs),
}

/// The period options of `run`, shared by `shard` and `merge` (every part and the merge must be
/// given the same).
#[derive(Debug, clap::Args)]
pub struct PeriodArgs {
    /// One period: `2026-10`, `2026-Q4` or `2026`, at the run's grain; or `previous`, the
    /// period before the one that holds today (for a scheduler).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// The day `--period previous` counts back from, `YYYY-MM-DD`; today in the pipeline's
    /// time zone by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// First period of a backfill.
    #[arg(long)]
    pub from: Option<String>,
    /// Last period of a backfill.
    #[arg(long)]
    pub to: Option<String>,
    /// Period size; the pipeline's `grain` by default.
    #[arg(long, value_parser = parse_grain)]
    pub grain: Option<Grain>,
}

impl PeriodArgs {
    pub(crate) fn options(self) -> RunOptions {
        RunOptions {
            period: self.period,
            as_of: self.as_of,
            from: self.from,
            to: self.to,
            grain: self.grain,
            ..RunOptions::default()
        }
    }
}

/// The options of `factorscore run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The pipeline file (YAML).
    pub pipeline: PathBuf,
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// Output folder or object-store URL (`s3://bucket/prefix`); the pipeline's `output.path` by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also print the time each phase took (on a terminal; elsewhere every phase has its line).
    #[arg(long, short)]
    pub verbose: bool,
    /// Print the periods and the partitions the run would replace, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run even when the last run wrote the same periods from the same inputs and pipeline
    /// (without it, such a run does nothing and says so).
    #[arg(long)]
    pub force: bool,
    /// Read and check every input file, not only those added since the output's checkpoint
    /// (which is then written anew).
    #[arg(long)]
    pub full: bool,
    /// Report nothing but errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// `text` for a person; `json`: one object per line on stderr, for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The options of `factorscore explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The pipeline file (YAML).
    pub pipeline: PathBuf,
    /// The employee's id.
    #[arg(long)]
    pub employee: String,
    /// The period: `2026-10`, `2026-Q4` or `2026`.
    #[arg(long)]
    pub period: String,
    /// Period size; the pipeline's `grain` by default.
    #[arg(long, value_parser = parse_grain)]
    pub grain: Option<Grain>,
    /// `text` for a person, `json` for a program.
    #[arg(long, value_enum, default_value_t = StatementFormat::Text)]
    pub format: StatementFormat,
}

/// The options of `factorscore compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The pipeline file (YAML): its plans are the current side.
    pub pipeline: PathBuf,
    /// The proposed plans file (YAML): a `plans` list.
    #[arg(long, value_name = "PROPOSED")]
    pub plans: PathBuf,
    /// The periods compared, as `run` takes them.
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// A folder or object-store prefix to write `plan_comparison` and its HTML page into.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `text` for a person, `json` for a program.
    #[arg(long, value_enum, default_value_t = StatementFormat::Text)]
    pub format: StatementFormat,
}

/// The options of `factorscore generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// `sample` (60 employees, 400 clients, 20k invoices, 2024-01..2026-10), `tiny`, or ten years
    /// of a company of size `s1`, `s5`, `s10`, `s20` or `s40` (S10: 3000 employees, 10k clients,
    /// 2M invoices; the others in proportion).
    #[arg(long, default_value = "sample")]
    pub preset: String,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// `csv` or `parquet`.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Write applications, invoices, collections, write-offs and fees as one file per month
    /// (`invoices/invoices-2026-12.csv`), as a ledger exported each month is; a pipeline reads
    /// them with a glob (`invoices/*.csv`).
    #[arg(long)]
    pub monthly: bool,
}

/// How `explain` prints its statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatementFormat {
    Text,
    Json,
}

fn parse_grain(s: &str) -> Result<Grain, String> {
    s.parse()
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
        }
    };
    let format = match &cli.command {
        Command::Run(a) => a.log_format,
        _ => LogFormat::Text,
    };
    match dispatch(cli) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let code = e
                .downcast_ref::<Error>()
                .map_or(EXIT_INTERNAL, Error::exit_code);
            RunLog::error(format, &crate::storage::redact(&format!("{e:#}")), code);
            code
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(a) => run(a),
        Command::Compare(a) => compare_cmd(a),
        Command::Bucket(a) => shard::bucket(a),
        Command::Shard(a) => shard::shard(a),
        Command::Merge(a) => shard::merge(a),
        Command::Explain(a) => explain(a),
        Command::Report(opts) => report(opts),
        Command::Metrics { pipeline, markdown } => metrics(pipeline, markdown),
        Command::Validate { pipeline } => validate(pipeline),
        Command::Scan { pipeline } => {
            let plan = crate::config::load(&pipeline)?;
            for src in &plan.sources {
                let t = crate::sources::read(&plan, src)?;
                println!("{:<13} {:>9} rows", src.table.name(), t.height());
            }
            Ok(())
        }
        Command::Runs { out } => {
            for line in crate::manifest::list(&out)? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Schema => {
            println!("{}", crate::config::json_schema());
            Ok(())
        }
        Command::Generate(a) => generate(a),
    }
}

/// `factorscore run`: the run, or with `--dry-run` what it would replace.
fn run(a: RunArgs) -> anyhow::Result<()> {
    let RunArgs {
        pipeline,
        periods,
        out,
        verbose,
        dry_run,
        force,
        full,
        quiet,
        log_format,
    } = a;
    let log = RunLog {
        format: log_format,
        quiet,
        verbose,
    };
    let plan = crate::config::load(&pipeline)?;
    let out_dir = out.clone().unwrap_or_else(|| plan.output_dir.clone());
    let opts = RunOptions {
        force,
        full,
        progress: log.progress(),
        out,
        ..periods.options()
    };
    if dry_run {
        let d = crate::run::dry_run(&plan, &opts)?;
        let (a, b) = (
            d.periods.first().cloned().unwrap_or_default(),
            d.periods.last().cloned().unwrap_or_default(),
        );
        println!(
            "would compute {} {} periods ({a} .. {b}) and replace under {}:",
            d.periods.len(),
            d.grain,
            out_dir.display()
        );
        for p in &d.partitions {
            println!("  {p}");
        }
        println!("  rejects/part-0.parquet");
        return Ok(());
    }
    match crate::run::run(&plan, &opts)
        .with_context(|| format!("run of {} failed", pipeline.display()))?
    {
        crate::run::Ran::Wrote(m) => log.wrote(&m, &out_dir),
        crate::run::Ran::Unchanged { run_id, periods } => {
            log.unchanged(&run_id, &periods, &out_dir)
        }
    }
    Ok(())
}

/// `factorscore compare`: the options as a run takes them.
fn compare_cmd(a: CompareArgs) -> anyhow::Result<()> {
    let CompareArgs {
        pipeline,
        plans,
        periods,
        out,
        format,
    } = a;
    compare(
        &pipeline,
        &plans,
        &periods.options(),
        out.as_deref(),
        format,
    )
}

/// `factorscore explain`: one statement, text or JSON.
fn explain(a: ExplainArgs) -> anyhow::Result<()> {
    let ExplainArgs {
        pipeline,
        employee,
        period,
        grain,
        format,
    } = a;
    let plan = crate::config::load(&pipeline)?;
    let opts = RunOptions {
        period: Some(period),
        grain,
        ..RunOptions::default()
    };
    let spec = opts.periods(&plan)?;
    let loaded = crate::run::load(&plan)?;
    let window = spec.window(&loaded.ledger)?;
    let sc = crate::run::score_window(&plan, &loaded, window)?;
    let st = crate::explain::statement(&plan, &loaded, &sc, &employee)?;
    match format {
        StatementFormat::Text => print!("{}", crate::explain::text(&st)),
        StatementFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&st).map_err(Error::Json)?
        ),
    }
    Ok(())
}

/// `factorscore report`: the page, and what it holds.
fn report(opts: crate::report::ReportOptions) -> anyhow::Result<()> {
    let w = crate::report::report(&opts)?;
    let where_ = match &w.split {
        Some(dir) => format!("{} statements in {}", w.statements, dir.display()),
        None => format!("{} statements inside", w.statements),
    };
    if w.left_out > 0 {
        eprintln!(
            "note: {} statements are left out of the overview to keep it small (the flagged people's come first); --split DIR writes everyone's as pages of their own",
            w.left_out
        );
    }
    println!(
        "wrote {} ({} KiB) for {} {} with trends over {} periods; {where_}",
        w.overview.display(),
        w.bytes.div_ceil(1024),
        w.grain,
        w.period,
        w.periods
    );
    Ok(())
}

/// `factorscore metrics`: the catalogue, with a pipeline its custom metrics too.
fn metrics(pipeline: Option<PathBuf>, markdown: bool) -> anyhow::Result<()> {
    let cat = match pipeline {
        Some(p) => crate::config::load(&p)?.catalogue,
        None => crate::catalogue::Catalogue::default(),
    };
    if markdown {
        print!("{}", cat.markdown_table());
    } else {
        for id in cat.ids() {
            println!(
                "{:<28} {:<15} {:<14} {}",
                cat.name(id),
                cat.kind(id).type_name(),
                cat.unit(id).name(),
                cat.meaning(id)
            );
        }
    }
    Ok(())
}

/// `factorscore validate`: the pipeline and its sources' headers.
fn validate(pipeline: PathBuf) -> anyhow::Result<()> {
    let plan = crate::config::load(&pipeline)?;
    let mut problems = Vec::new();
    for src in &plan.sources {
        problems.extend(crate::sources::check_headers(&plan, src));
    }
    if !problems.is_empty() {
        return Err(Error::Config(crate::diag::ConfigErrors(problems)).into());
    }
    println!(
        "{}: ok ({} sources)",
        pipeline.display(),
        plan.sources.len()
    );
    Ok(())
}

/// `factorscore generate`: a seeded company and its figures.
fn generate(a: GenerateArgs) -> anyhow::Result<()> {
    let GenerateArgs {
        out,
        preset,
        seed,
        format,
        monthly,
    } = a;
    let cfg = crate::generate::GenConfig::preset(&preset, seed).map_err(Error::BadOption)?;
    let parquet = match format.as_str() {
        "csv" => false,
        "parquet" => true,
        other => {
            return Err(
                Error::BadOption(format!("unknown format `{other}`: use csv or parquet")).into(),
            )
        }
    };
    let layout = crate::generate::Layout { parquet, monthly };
    let g = crate::generate::generate_as(&cfg, &out, layout)?;
    for (t, n) in &g.counts {
        println!("{t:<13} {n:>9} rows");
    }
    for line in &g.figures {
        println!("{line}");
    }
    Ok(())
}

/// `factorscore compare`: both plan sets checked before any row is read, the metrics computed
/// once, the summary printed, and with `out` the table and page written.
fn compare(
    pipeline: &std::path::Path,
    proposed: &std::path::Path,
    opts: &RunOptions,
    out: Option<&std::path::Path>,
    format: StatementFormat,
) -> anyhow::Result<()> {
    let plan = crate::config::load(pipeline)?;
    let proposed_plans = crate::config::load_plans(proposed, &plan.catalogue)?;
    let spec = opts.periods(&plan)?;
    let loaded = crate::run::load(&plan)?;
    let window = spec.window(&loaded.ledger)?;
    let c = crate::compare::compare(&plan, &loaded, window, proposed_plans)
        .with_context(|| format!("comparison of {} failed", pipeline.display()))?;
    let rows = c.rows(&loaded);
    let summary = crate::compare::summarize(&c, &rows);
    let names = [
        pipeline.display().to_string(),
        proposed.display().to_string(),
    ];
    match format {
        StatementFormat::Text => print!(
            "{}",
            crate::compare::summary::text(&summary, &names[0], &names[1])
        ),
        StatementFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&crate::compare::summary::json(
                &summary, &names[0], &names[1]
            ))
            .map_err(Error::Json)?
        ),
    }
    if let Some(out) = out {
        let page =
            crate::compare::page::html(&c, &plan.catalogue, &summary, [&names[0], &names[1]]);
        let n = crate::compare::write(&plan, &c, &rows, out, &page)?;
        eprintln!(
            "wrote {} plan_comparison rows in {n} {} periods and {} under {}",
            rows.len(),
            c.grain(),
            crate::compare::PAGE,
            out.display()
        );
    }
    Ok(())
}
