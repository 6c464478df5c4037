//! The validation pass: every check that needs no data, all errors reported together.

use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use super::check::Checker;
use super::def::{Compression, Format, OnError, PipelineDef, SourcesDef};
use super::plans::ScorePlan;
use crate::diag::Diagnostic;
use crate::periods::{Calendar, Grain};
use crate::problems::Policy;
use crate::tables::Table;

/// A checked pipeline: everything a run needs, resolved and consistent.
#[derive(Debug, Clone)]
pub struct Plan {
    pub file: PathBuf,
    /// SHA-256 of the pipeline file's bytes.
    pub hash: String,
    pub name: String,
    pub base_currency: String,
    pub timezone: chrono_tz::Tz,
    pub grain: Grain,
    pub fiscal_start: u32,
    /// Default period labels (`from`, `to`) when the command line names none.
    pub periods: Option<(String, String)>,
    /// One entry per table the pipeline names, in [`Table::ALL`] order.
    pub sources: Vec<SourcePlan>,
    /// A folder, or an object-store URL (`s3://bucket/prefix`) held as a path.
    pub output_dir: PathBuf,
    /// How object stores are reached.
    pub storage: crate::storage::StorageConfig,
    pub compression: Compression,
    pub compression_level: i32,
    /// Whether runs keep a checkpoint in a local output folder (`output.checkpoint`).
    pub checkpoint: bool,
    /// Every metric the run computes: the built-ins and the pipeline's custom metrics.
    pub catalogue: crate::catalogue::Catalogue,
    /// Scorecard plans, in the file's order.
    pub plans: Vec<ScorePlan>,
    /// The largest share of all rows read that may be rejected.
    pub max_rejected_share: Option<f64>,
}

impl Plan {
    pub fn calendar(&self, grain: Grain) -> Calendar {
        Calendar {
            grain,
            fiscal_start: self.fiscal_start,
        }
    }

    pub fn source(&self, table: Table) -> Option<&SourcePlan> {
        self.sources.iter().find(|s| s.table == table)
    }

    /// Which of the pipeline's sources quarantine the rows that break a rule.
    pub fn policy(&self) -> Policy {
        self.sources
            .iter()
            .filter(|s| s.on_error == OnError::Quarantine)
            .fold(Policy::strict(), |p, s| p.with_quarantine(s.table))
    }
}

/// Where a key stands in the pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub line: u64,
    pub column: u64,
    pub key: String,
}

/// A column rename, `from` in the file to canonical `to`.
#[derive(Debug, Clone)]
pub struct Rename {
    pub from: String,
    pub to: String,
    pub place: Place,
}

/// A checked source.
#[derive(Debug, Clone)]
pub struct SourcePlan {
    pub table: Table,
    /// Path or glob, resolved against the pipeline file's folder; or an object-store URL, as
    /// written.
    pub pattern: String,
    pub format: Format,
    pub delimiter: u8,
    pub quote: u8,
    pub renames: Vec<Rename>,
    /// Where `path` is written, for errors about the files.
    pub place: Place,
    pub on_error: OnError,
    pub max_rejected_share: Option<f64>,
}

impl SourcePlan {
    /// The canonical name of a file column.
    pub fn canonical<'a>(&'a self, file_column: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|r| r.from == file_column)
            .map(|r| r.to.as_str())
            .unwrap_or(file_column)
    }
}

fn place<T>(s: &Spanned<T>, key: &str) -> Place {
    Place {
        line: s.referenced.line(),
        column: s.referenced.column(),
        key: key.to_string(),
    }
}

pub(super) fn validate(file: &Path, text: &str, def: PipelineDef) -> Result<Plan, Vec<Diagnostic>> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();

    if def.name.value.trim().is_empty() {
        c.at(
            &def.name,
            "name",
            "the pipeline name is empty",
            Some("give the pipeline a short name".into()),
        );
    }
    let cur = &def.base_currency.value;
    if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
        c.at(
            &def.base_currency,
            "base_currency",
            format!("`{cur}` is not an ISO 4217 currency code"),
            Some("write three capital letters, e.g. CNY".into()),
        );
    }
    let timezone = match def.timezone.value.parse::<chrono_tz::Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            c.at(
                &def.timezone,
                "timezone",
                format!("`{}` is not an IANA time zone", def.timezone.value),
                Some("write a zone such as Asia/Shanghai, Asia/Hong_Kong or UTC".into()),
            );
            chrono_tz::UTC
        }
    };
    let fiscal_start = match &def.fiscal_year_start {
        Some(f) if !(1..=12).contains(&f.value) => {
            c.at(
                f,
                "fiscal_year_start",
                format!("{} is not a month", f.value),
                Some("write 1 (January) to 12".into()),
            );
            1
        }
        Some(f) => f.value,
        None => 1,
    };
    let grain = def.grain.unwrap_or(Grain::Month);
    let periods = def.periods.as_ref().map(|p| {
        let cal = Calendar {
            grain,
            fiscal_start,
        };
        let from = cal.parse_label(&p.from.value);
        let to = cal.parse_label(&p.to.value);
        let hint = |e: &String| {
            e.contains(" grain: ").then(|| format!(
                "the labels of `periods` are of the pipeline's grain ({}); `--grain` reads them at another",
                grain.name()
            ))
        };
        if let Err(e) = &from {
            c.at(&p.from, "periods.from", e.clone(), hint(e));
        }
        if let Err(e) = &to {
            c.at(&p.to, "periods.to", e.clone(), hint(e));
        }
        if let (Ok(f), Ok(t)) = (&from, &to) {
            if f > t {
                c.at(
                    &p.to,
                    "periods.to",
                    "`to` is before `from`",
                    Some("swap the two labels".into()),
                );
            }
        }
        (p.from.value.clone(), p.to.value.clone())
    });

    let sources = check_sources(&mut c, &dir, &def.sources);
    let catalogue = def
        .metrics
        .as_ref()
        .map(|m| super::metrics::check_metrics(&mut c, text, m))
        .unwrap_or_default();
    let plans = def
        .plans
        .as_ref()
        .map(|p| super::plans::check_plans(&mut c, p, &catalogue))
        .unwrap_or_default();

    let max_rejected_share = share(&mut c, &def.max_rejected_share, "max_rejected_share");
    let out = &def.output;
    if out.path.value.trim().is_empty() {
        c.at(
            &out.path,
            "output.path",
            "the output path is empty",
            Some("name a folder, e.g. ../out".into()),
        );
    }
    check_url(&mut c, &out.path, "output.path");
    let storage = check_storage(&mut c, &def.storage);
    let compression = out.compression.unwrap_or(Compression::Zstd);
    let compression_level = match &out.compression_level {
        Some(l) if compression != Compression::Zstd => {
            c.at(
                l,
                "output.compression_level",
                "a level applies to zstd only",
                Some("remove the key".into()),
            );
            3
        }
        Some(l) if !(1..=22).contains(&l.value) => {
            c.at(
                l,
                "output.compression_level",
                format!("zstd level {} is out of range", l.value),
                Some("use 1 to 22".into()),
            );
            3
        }
        Some(l) => l.value,
        None => 3,
    };

    if !c.errors.is_empty() {
        c.errors.sort_by_key(|d| (d.line, d.column));
        return Err(c.errors);
    }
    Ok(Plan {
        file: file.to_path_buf(),
        hash: format!("{:x}", Sha256::digest(text.as_bytes())),
        name: def.name.value,
        base_currency: def.base_currency.value,
        timezone,
        grain,
        fiscal_start,
        periods,
        sources,
        output_dir: resolve(&dir, &out.path.value).into(),
        storage,
        compression,
        compression_level,
        checkpoint: out.checkpoint.unwrap_or(true),
        catalogue,
        plans,
        max_rejected_share,
    })
}

/// A path relative to the pipeline file's folder `dir`; a URL as it is.
fn resolve(dir: &Path, path: &str) -> String {
    if crate::storage::is_url(path) {
        path.to_string()
    } else {
        tidy(&dir.join(path)).to_string_lossy().into_owned()
    }
}

/// Checks that a path written as a URL is one this build reaches.
fn check_url(c: &mut Checker<'_>, path: &Spanned<String>, key: &str) {
    if !crate::storage::is_url(&path.value) {
        return;
    }
    if let Err(e) = crate::storage::parse_url(&path.value) {
        c.at(
            path,
            key,
            e,
            Some("write s3://bucket/key, gs://bucket/key or az://container/key".into()),
        );
    }
}

/// The `storage` block, checked. Option values are never put in a message.
fn check_storage(
    c: &mut Checker<'_>,
    def: &Option<Spanned<super::def::StorageDef>>,
) -> crate::storage::StorageConfig {
    use crate::storage::{Scheme, StorageConfig};
    use std::time::Duration;
    let mut cfg = StorageConfig::default();
    let Some(def) = def else { return cfg };
    let d = &def.value;
    if let Some(opts) = &d.options {
        let mut pairs: Vec<_> = opts.iter().collect();
        pairs.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
        for (k, v) in pairs {
            let known = [Scheme::S3, Scheme::Gcs, Scheme::Azure]
                .iter()
                .any(|s| s.knows(&k.value));
            if !known {
                c.at(
                    k,
                    &format!("storage.options.{}", k.value),
                    format!("`{}` is not an object_store option", k.value),
                    Some("use the keys of object_store's AmazonS3ConfigKey, GoogleConfigKey, AzureConfigKey or ClientConfigKey, e.g. aws_endpoint, aws_region, aws_allow_http, azure_storage_account_name, google_service_account, timeout".into()),
                );
                continue;
            }
            cfg.options.push((k.value.clone(), v.text()));
        }
    }
    if let Some(r) = &d.retries {
        if r.value > 100 {
            c.at(
                r,
                "storage.retries",
                format!("{} retries is too many", r.value),
                Some("give 0 to 100; the default is 5".into()),
            );
        }
        cfg.retries = r.value as usize;
    }
    let mut secs = |v: &Option<Spanned<u64>>, key: &str, into: &mut Duration| {
        if let Some(v) = v {
            if v.value == 0 || v.value > 24 * 3600 {
                c.at(
                    v,
                    &format!("storage.{key}"),
                    format!("{} seconds is out of range", v.value),
                    Some("give 1 to 86400 seconds".into()),
                );
            }
            *into = Duration::from_secs(v.value);
        }
    };
    secs(&d.timeout_secs, "timeout_secs", &mut cfg.timeout);
    secs(
        &d.connect_timeout_secs,
        "connect_timeout_secs",
        &mut cfg.connect_timeout,
    );
    secs(
        &d.retry_timeout_secs,
        "retry_timeout_secs",
        &mut cfg.retry_timeout,
    );
    cfg
}

/// A share of rows, 0 to 1.
fn share(c: &mut Checker<'_>, v: &Option<Spanned<f64>>, key: &str) -> Option<f64> {
    let v = v.as_ref()?;
    if !(0.0..=1.0).contains(&v.value) {
        c.at(
            v,
            key,
            format!("{} is not a share of rows", v.value),
            Some("give a number from 0 to 1, e.g. 0.01 for 1 %".into()),
        );
        return None;
    }
    Some(v.value)
}

fn one_char(c: &mut Checker<'_>, s: &Option<Spanned<String>>, key: &str, default: u8) -> u8 {
    match s {
        None => default,
        Some(v) if v.value.len() == 1 && v.value.is_ascii() => v.value.as_bytes()[0],
        Some(v) => {
            c.at(
                v,
                key,
                format!("`{}` is not a single ASCII character", v.value),
                Some("write one character, e.g. `;`".into()),
            );
            default
        }
    }
}

fn check_sources(
    c: &mut Checker<'_>,
    dir: &Path,
    sources: &Spanned<SourcesDef>,
) -> Vec<SourcePlan> {
    let mut out = Vec::new();
    for table in Table::ALL {
        let name = table.name();
        let Some(src) = sources.value.get(table) else {
            if table.required() {
                c.at(
                    sources,
                    "sources",
                    format!("the required table `{name}` has no source"),
                    Some(format!(
                        "add `{name}: {{ path: ..., format: csv }}` under `sources`"
                    )),
                );
            }
            continue;
        };
        let key = format!("sources.{name}");
        if src.path.value.trim().is_empty() {
            c.at(
                &src.path,
                &format!("{key}.path"),
                "the path is empty",
                Some("name a file or a glob".into()),
            );
        }
        check_url(c, &src.path, &format!("{key}.path"));
        let format = match &src.format {
            Some(f) => f.value,
            None => {
                let p = src.path.value.to_ascii_lowercase();
                if p.ends_with(".csv") {
                    Format::Csv
                } else if p.ends_with(".parquet") || p.ends_with(".pq") {
                    Format::Parquet
                } else if Path::new(&resolve(dir, &src.path.value)).is_dir() {
                    // A folder is reported as one when its files are looked for, with how to
                    // name them: a format is not what is missing.
                    Format::Csv
                } else {
                    c.at(
                        &src.path,
                        &format!("{key}.path"),
                        "the format cannot be told from the file name",
                        Some(format!("add `format: csv` or `format: parquet` to {key}")),
                    );
                    Format::Csv
                }
            }
        };
        let (mut delimiter, mut quote) = (b',', b'"');
        if let Some(csv) = &src.csv {
            if format != Format::Csv {
                c.at(
                    csv,
                    &format!("{key}.csv"),
                    "CSV options on a Parquet source",
                    Some("remove `csv:` or set `format: csv`".into()),
                );
            }
            delimiter = one_char(
                c,
                &csv.value.delimiter,
                &format!("{key}.csv.delimiter"),
                b',',
            );
            quote = one_char(c, &csv.value.quote, &format!("{key}.csv.quote"), b'"');
        }
        let mut renames: Vec<Rename> = Vec::new();
        if let Some(map) = &src.rename {
            let mut pairs: Vec<_> = map.iter().collect();
            pairs.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
            for (from, to) in pairs {
                let rkey = format!("{key}.rename.{}", from.value);
                if table.column(&to.value).is_none() {
                    let cols: Vec<_> = table.columns().iter().map(|c| c.name).collect();
                    c.at(
                        to,
                        &rkey,
                        format!("`{}` is not a column of `{name}`", to.value),
                        Some(format!("rename onto one of: {}", cols.join(", "))),
                    );
                } else if let Some(prev) = renames.iter().find(|r| r.to == to.value) {
                    c.at(
                        to,
                        &rkey,
                        format!(
                            "`{}` and `{}` are both renamed to `{}`",
                            prev.from, from.value, to.value
                        ),
                        Some("map one file column onto each canonical column".into()),
                    );
                }
                renames.push(Rename {
                    from: from.value.clone(),
                    to: to.value.clone(),
                    place: place(from, &rkey),
                });
            }
        }
        out.push(SourcePlan {
            table,
            pattern: resolve(dir, &src.path.value),
            format,
            delimiter,
            quote,
            renames,
            place: place(&src.path, &format!("{key}.path")),
            on_error: src.on_error.unwrap_or_default(),
            max_rejected_share: share(
                c,
                &src.max_rejected_share,
                &format!("{key}.max_rejected_share"),
            ),
        });
    }
    out
}

/// `path` with each `folder/..` taken out where `folder` is a real folder (not a symlink, whose
/// `..` leads elsewhere) and `.` components dropped, so that messages name `out` rather than
/// `pipelines/../out`. The path names the same file as before.
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                let plain_folder = matches!(last, Some(Component::Normal(_)))
                    && std::fs::symlink_metadata(&out).is_ok_and(|m| m.is_dir());
                if plain_folder {
                    out.pop();
                } else {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tidy_tests {
    use super::tidy;
    use std::path::Path;

    #[test]
    fn folder_dot_dot_goes_but_not_through_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::os::unix::fs::symlink(root.join("a/b"), root.join("l")).unwrap();
        assert_eq!(tidy(&root.join("a/../x")), root.join("x"));
        assert_eq!(tidy(&root.join("./a/./b")), root.join("a/b"));
        // `l/..` is `a`, not `root`: kept as written.
        assert_eq!(tidy(&root.join("l/../x")), root.join("l/../x"));
        // A folder that does not exist cannot be told from a symlink: kept.
        assert_eq!(tidy(&root.join("nope/../x")), root.join("nope/../x"));
        assert_eq!(tidy(Path::new("")), Path::new("."));
    }
}
