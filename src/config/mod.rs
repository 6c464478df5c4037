//! Pipeline files: their shape ([`def`]), and the checked [`Plan`] a run works from ([`validate`]).

mod check;
pub mod def;
mod guidance;
mod metrics;
mod plans;
pub mod sql;
mod validate;

use std::path::Path;

use crate::catalogue::Catalogue;
use crate::diag::{ConfigErrors, Diagnostic};

pub use guidance::Guidance;
pub use plans::{default_grades, Grade, Kpi, OrgField, ScorePlan};
pub use validate::{Place, Plan, SourcePlan};

/// The largest pipeline file read: a pipeline names files and holds no data, so anything bigger
/// is the wrong file (or an attack on the parser).
pub const MAX_PIPELINE_BYTES: u64 = 1024 * 1024;

/// What a YAML file factorscore reads is: a pipeline, or a proposed plans file (`compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Pipeline,
    Plans,
}

impl FileKind {
    fn noun(self) -> &'static str {
        match self {
            FileKind::Pipeline => "pipeline file",
            FileKind::Plans => "plans file",
        }
    }
}

/// Reads, parses and checks a pipeline file. Reads no data.
pub fn load(path: &Path) -> Result<Plan, crate::Error> {
    load_str(path, &read_text(path, FileKind::Pipeline)?)
}

/// Reads, parses and checks a proposed plans file (contract 5.4: a `plans` list in the shape of
/// a pipeline's, nothing else), whose KPIs may score any metric of `catalogue` (the pipeline's).
/// Every error is reported at once, with its place, like a pipeline's.
pub fn load_plans(path: &Path, catalogue: &Catalogue) -> Result<Vec<ScorePlan>, crate::Error> {
    load_plans_file(path, catalogue).map_err(|e| match e {
        crate::Error::Config(c) => crate::Error::Plans(c),
        other => other,
    })
}

fn load_plans_file(path: &Path, catalogue: &Catalogue) -> Result<Vec<ScorePlan>, crate::Error> {
    let text = read_text(path, FileKind::Plans)?;
    check_limits(path, &text, FileKind::Plans)?;
    let def: def::PlansFileDef = serde_saphyr::from_str_with_options(&text, parser_options())
        .map_err(|e| parse_error(path, Some(&text), &e))?;
    let mut c = check::Checker {
        file: path,
        errors: Vec::new(),
    };
    let plans = plans::check_plans(&mut c, &def.plans, catalogue);
    if plans.is_empty() {
        c.at(
            &def.plans,
            "plans",
            "the file proposes no plan",
            Some("list at least one plan, in the shape of a pipeline's `plans`".into()),
        );
    }
    if !c.errors.is_empty() {
        c.errors.sort_by_key(|d| (d.line, d.column));
        return Err(crate::Error::Config(ConfigErrors(c.errors)));
    }
    Ok(plans)
}

/// The text of a YAML file: at most [`MAX_PIPELINE_BYTES`], UTF-8.
fn read_text(path: &Path, kind: FileKind) -> Result<String, crate::Error> {
    let io = |e| crate::Error::Io {
        what: format!("cannot read the {} {}", kind.noun(), path.display()),
        source: e,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_PIPELINE_BYTES {
        return Err(too_large(path, size, kind));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let (line, column) = line_col(bytes, at);
        one(
            path,
            line,
            column,
            format!(
                "the {} is not UTF-8 text: byte 0x{:02X} at offset {at} cannot be read",
                kind.noun(),
                bytes[at]
            ),
            Some("save the file as UTF-8 (YAML files are UTF-8)".into()),
        )
    })
}

/// 1-based line and column (in bytes) of byte offset `at`.
fn line_col(bytes: &[u8], at: usize) -> (u64, u64) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, column)
}

fn one(path: &Path, line: u64, column: u64, message: String, hint: Option<String>) -> crate::Error {
    crate::Error::Config(ConfigErrors(vec![Diagnostic {
        file: path.to_path_buf(),
        line,
        column,
        key: String::new(),
        message,
        hint,
    }]))
}

fn too_large(path: &Path, size: u64, kind: FileKind) -> crate::Error {
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0);
    let noun = kind.noun();
    one(
        path,
        1,
        1,
        format!(
            "the {noun} is {} ({size} bytes); a {noun} is at most {} and is not parsed",
            mib(size),
            mib(MAX_PIPELINE_BYTES)
        ),
        Some(match kind {
            FileKind::Pipeline => "a pipeline names its data files and holds no data: check that this is the pipeline YAML, not a data file".into(),
            FileKind::Plans => "a plans file holds plans and no data: check that this is the proposed plans YAML, not a data file".into(),
        }),
    )
}

/// The parser's limits. A pipeline file is a few dozen lines: these are far above what one
/// needs and far below what would let a hostile file (an alias bomb, a deep nesting) cost time
/// or memory.
pub struct Limits;

impl Limits {
    pub const DEPTH: usize = 24;
    pub const ALIASES: usize = 64;
    pub const ANCHORS: usize = 64;
    pub const NODES: usize = 100_000;
    pub const REPLAYED_EVENTS: usize = 100_000;
}

fn parser_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = Limits::DEPTH;
    budget.flow_nesting_limit = Limits::DEPTH;
    budget.max_aliases = Limits::ALIASES;
    budget.max_anchors = Limits::ANCHORS;
    budget.max_nodes = Limits::NODES;
    budget.max_events = 4 * Limits::NODES;
    budget.max_documents = 2;
    budget.max_recorded_anchor_events = Limits::REPLAYED_EVENTS;
    budget.max_total_scalar_bytes = MAX_PIPELINE_BYTES as usize;
    budget.max_merge_keys = Limits::ALIASES;
    budget.max_inclusion_depth = 0;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    o.alias_limits.max_total_replayed_events = Limits::REPLAYED_EVENTS;
    o.alias_limits.max_replay_stack_depth = Limits::DEPTH;
    o
}

/// A message for a parser limit reached, or `None` for any other parse error.
fn limit_message(mut e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    #[allow(deprecated)]
    while let serde_saphyr::Error::WithSnippet { error, .. }
    | serde_saphyr::Error::AliasError { error, .. } = e
    {
        e = error;
    }
    let never = "a pipeline file never needs";
    Some(match e {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            B::Depth { depth } => format!(
                "values are nested {depth} deep; the limit is {}, and {never} more than 5 levels",
                Limits::DEPTH
            ),
            B::Aliases { aliases } => format!(
                "{aliases} aliases (`*name`); the limit is {}, and {never} that many (an alias bomb?)",
                Limits::ALIASES
            ),
            B::Anchors { anchors } => format!(
                "{anchors} anchors (`&name`); the limit is {}, and {never} that many",
                Limits::ANCHORS
            ),
            B::Nodes { nodes } => format!(
                "{nodes} values; the limit is {}, and {never} that many",
                Limits::NODES
            ),
            B::Documents { documents } => format!(
                "{documents} YAML documents (`---`); a pipeline file is one document"
            ),
            B::RecordedAnchorEvents { recorded_anchor_events } => format!(
                "anchors (`&name`) and their aliases (`*name`) hold more than {} values ({recorded_anchor_events} so far: an alias bomb?); {never} that many",
                Limits::REPLAYED_EVENTS
            ),
            other => format!(
                "the file exceeds a parser limit ({other:?}); {never} anything near it"
            ),
        },
        serde_saphyr::Error::AliasReplayLimitExceeded {
            total_replayed_events,
            max_total_replayed_events,
            ..
        } => format!(
            "aliases expand to more than {max_total_replayed_events} values ({total_replayed_events} so far: an alias bomb?); {never} that many"
        ),
        serde_saphyr::Error::AliasReplayStackDepthExceeded { depth, max_depth, .. } => format!(
            "aliases nest {depth} deep; the limit is {max_depth}, and {never} more than one or two"
        ),
        serde_saphyr::Error::AliasExpansionLimitExceeded { expansions, .. } => format!(
            "an alias is expanded {expansions} times (an alias bomb?); {never} that many"
        ),
        // The parser's own cap on nested flow collections (`[[[...`).
        e if e.to_string().contains("recursion limit exceeded") => format!(
            "values are nested more than {} deep; {never} more than 5 levels",
            Limits::DEPTH
        ),
        _ => return None,
    })
}

fn parse_error(path: &Path, text: Option<&str>, e: &serde_saphyr::Error) -> crate::Error {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    // A position the parser could not give is shown as the file's start.
    let (line, column) = (line.max(1), column.max(1));
    if let Some(message) = limit_message(e) {
        return one(
            path,
            line,
            column,
            message,
            Some(
                "write the values out plainly; the file is refused before anything is read".into(),
            ),
        );
    }
    let message = e.without_snippet().to_string();
    let message = message.lines().next().unwrap_or("");
    // The location is given in front; drop the parser's own copy of it.
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    };
    let key = text.map(|t| key_at(t, line, column)).unwrap_or_default();
    let (message, hint) = reword(&message, &key);
    let hint = hint.or_else(|| parse_hint(&message));
    crate::Error::Config(ConfigErrors(vec![Diagnostic {
        file: path.to_path_buf(),
        line,
        column,
        key,
        message,
        hint,
    }]))
}

/// The parser's message in the words of a pipeline file, with a hint for the key where one is
/// known.
fn reword(message: &str, key: &str) -> (String, Option<String>) {
    let last = key.rsplit('.').next().unwrap_or("");
    let shape = match last {
        "grain" => Some("write one of: month, quarter, year"),
        "periods" => {
            Some("write `periods: { from: 2024-01, to: 2024-12 }`, labels of the pipeline's grain")
        }
        "from" | "to" | "valid_from" | "valid_to" | "name" | "base_currency" | "timezone"
        | "path" => Some("write one text value"),
        "compression" => Some("write one of: zstd, snappy, uncompressed"),
        "output" => Some("write `output: { path: out }`"),
        "csv" => Some("write `csv: { delimiter: \";\", quote: \"\\\"\" }`"),
        "rename" => Some("write `rename: { column_in_the_file: canonical_column }`"),
        _ if key.starts_with("sources.") => {
            Some("write `{ path: input/file.csv }`, with `format`, `csv` and `rename` where needed")
        }
        _ => None,
    };
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let k = rest.split(',').next().unwrap_or(rest).trim();
        return (
            format!("the key `{k}` appears twice in this mapping"),
            Some("a key may appear once in a mapping: remove or merge the repeated one".into()),
        );
    }
    let found = if message.contains("expected mapping start") {
        "expected a mapping (`key: value` pairs) here"
    } else if message.contains("enum expected scalar or mapping") {
        "expected a single word here, not a list"
    } else if message.contains("expected string scalar") {
        "expected a single text value here, not a list or mapping"
    } else if message.contains("expected sequence start") {
        "expected a list (`[a, b]` or `- a` lines) here"
    } else {
        let csv_key = ["`delimiter`", "`quote`"]
            .into_iter()
            .find(|k| message.starts_with(&format!("unknown field {k}")));
        let hint = match csv_key {
            Some(k) if key.starts_with("sources.") => Some(format!(
                "{k} goes under `csv`: `{{ path: ..., csv: {{ {}: \";\" }} }}`",
                k.trim_matches('`')
            )),
            _ => None,
        };
        return (message.to_string(), hint);
    };
    (found.to_string(), shape.map(String::from))
}

/// The dotted key path of the value at `line`:`column` (1-based), read from the text: the keys of
/// the enclosing flow mappings on the line and of the less indented block mappings above it.
/// A best effort for messages; sequence items add no component.
fn key_at(text: &str, line: u64, column: u64) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = lines.get(line.saturating_sub(1) as usize) else {
        return String::new();
    };
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let key_of = |l: &str| -> Option<String> {
        let t = l.trim_start_matches([' ', '-']);
        let (k, _) = t.split_once(':')?;
        let k = k.trim().trim_matches(['"', '\'']);
        (!k.is_empty() && !k.starts_with('#') && !k.contains(['{', '[', ' ']))
            .then(|| k.to_string())
    };
    // Keys within the line, up to the column: a stack over the flow mappings.
    let prefix: String = here
        .chars()
        .take(column.saturating_sub(1) as usize)
        .collect();
    let mut stack: Vec<Option<String>> = vec![None];
    let mut word = String::new();
    let mut quoted = None;
    for ch in prefix.chars() {
        match (quoted, ch) {
            (Some(q), c) if c == q => quoted = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quoted = Some(ch),
            (None, '{') => {
                stack.push(None);
                word.clear();
            }
            (None, '[') => {
                stack.push(None);
                word.clear();
            }
            (None, '}' | ']') => {
                if stack.len() > 1 {
                    stack.pop();
                }
                word.clear();
            }
            (None, ',') => {
                if let Some(top) = stack.last_mut() {
                    *top = None;
                }
                word.clear();
            }
            (None, ':') => {
                let k = word.trim().trim_start_matches('-').trim().to_string();
                if !k.is_empty() {
                    if let Some(top) = stack.last_mut() {
                        *top = Some(k);
                    }
                }
                word.clear();
            }
            (None, '#') => break,
            (None, c) => word.push(c),
        }
    }
    let mut path: Vec<String> = stack.into_iter().flatten().collect();
    let mut level = indent(here);
    for l in lines[..line.saturating_sub(1) as usize].iter().rev() {
        if level == 0 {
            break;
        }
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if indent(l) < level {
            level = indent(l);
            if let Some(k) = key_of(l) {
                path.insert(0, k);
            }
        }
    }
    path.join(".")
}

/// Parses and checks pipeline text that claims to come from `path`.
pub fn load_str(path: &Path, text: &str) -> Result<Plan, crate::Error> {
    check_limits(path, text, FileKind::Pipeline)?;
    let def: def::PipelineDef = serde_saphyr::from_str_with_options(text, parser_options())
        .map_err(|e| parse_error(path, Some(text), &e))?;
    validate::validate(path, text, def).map_err(|d| crate::Error::Config(ConfigErrors(d)))
}

/// The whole document under the parser's limits, whatever its keys: the typed pass stops at the
/// first unexpected key, so a hostile part after it would otherwise go unseen.
fn check_limits(path: &Path, text: &str, kind: FileKind) -> Result<(), crate::Error> {
    if text.len() as u64 > MAX_PIPELINE_BYTES {
        return Err(too_large(path, text.len() as u64, kind));
    }
    if let Err(e) =
        serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, parser_options())
    {
        if limit_message(&e).is_some() {
            return Err(parse_error(path, None, &e));
        }
    }
    Ok(())
}

fn parse_hint(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("check the spelling against `factorscore schema`, which lists every key".into())
    } else if message.contains("unknown variant") {
        Some("use one of the values listed".into())
    } else if message.contains("missing field") {
        Some("add the key; `factorscore schema` describes it".into())
    } else if message.contains("duplicate") {
        Some("a key may appear once in a mapping: remove or merge the repeated one".into())
    } else {
        None
    }
}

/// The JSON Schema of the pipeline file, for editors.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(def::PipelineDef);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
