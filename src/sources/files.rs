//! Finding a source's files: a local path or glob, or object-store keys, each listed once.

use std::path::{Path, PathBuf};

use crate::config::{Plan, SourcePlan};
use crate::diag::{ConfigErrors, Diagnostic};
use crate::error::Error;

use super::diag;

/// One file or object a source names, found but not read yet.
pub struct Found {
    /// The file's path, or the object's URL, as messages and the manifest show it.
    pub name: PathBuf,
    at: At,
}

enum At {
    Local(PathBuf),
    Remote(crate::storage::Store, String),
}

impl Found {
    /// The file's bytes, read once; `None` when a plain object key names no object.
    pub(super) fn fetch(&self) -> Result<Option<bytes::Bytes>, Error> {
        match &self.at {
            At::Local(path) => std::fs::read(path)
                .map(|b| Some(bytes::Bytes::from(b)))
                .map_err(|e| Error::Io {
                    what: format!("cannot read {}", path.display()),
                    source: e,
                }),
            At::Remote(store, key) => store.get(key),
        }
    }
}

/// The files a source names, in name order. A glob is listed once (a local folder, or an
/// object-store prefix); a plain object key is not listed at all.
pub fn resolve_files(plan: &Plan, src: &SourcePlan) -> Result<Vec<Found>, Error> {
    let p = &src.place;
    let config = |d: Diagnostic| Error::Config(ConfigErrors(vec![d]));
    if crate::storage::is_url(&src.pattern) {
        let url =
            crate::storage::parse_url(&src.pattern).map_err(|e| config(diag(plan, p, e, None)))?;
        let store = crate::storage::connect(&url, &plan.storage)?;
        let keys = store.resolve(&url.key)?;
        if keys.is_empty() {
            return Err(config(diag(
                plan,
                p,
                format!("no object matches the glob `{url}`"),
                Some("check the bucket and the prefix; globs on object stores match `*`, `?` and `[abc]` within one folder level".into()),
            )));
        }
        return Ok(keys
            .into_iter()
            .map(|k| Found {
                name: PathBuf::from(url.show(&k)),
                at: At::Remote(store.clone(), k),
            })
            .collect());
    }
    let mut files: Vec<PathBuf> = match glob::glob(&src.pattern) {
        Ok(paths) => paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            return Err(config(diag(
                plan,
                p,
                format!("bad glob `{}`: {e}", src.pattern),
                Some("a glob may use `*`, `?` and `[abc]`; quote it in the YAML".into()),
            )));
        }
    };
    files.sort();
    if files.is_empty() {
        return Err(config(no_match(plan, src)));
    }
    Ok(files
        .into_iter()
        .map(|f| Found {
            name: f.clone(),
            at: At::Local(f),
        })
        .collect())
}

/// Why a path or glob matches no file, and what to do.
fn no_match(plan: &Plan, src: &SourcePlan) -> Diagnostic {
    let base = plan.file.parent().unwrap_or(Path::new("")).to_path_buf();
    let pattern = Path::new(&src.pattern);
    let written = pattern.strip_prefix(&base).unwrap_or(pattern);
    let is_glob = src.pattern.contains(['*', '?', '[']);
    let resolved = if base.as_os_str().is_empty() {
        "resolved against the pipeline file's folder, which is the current folder".to_string()
    } else {
        format!(
            "resolved against the pipeline file's folder {}, as {}",
            base.display(),
            pattern.display()
        )
    };
    if !is_glob && pattern.is_dir() {
        let ext = match src.format {
            crate::config::def::Format::Csv => "csv",
            crate::config::def::Format::Parquet => "parquet",
        };
        let glob = written.join(format!("*.{ext}"));
        return diag(
            plan,
            &src.place,
            format!("`{}` is a folder ({resolved}); a source names files", written.display()),
            Some(format!(
                "to read every {ext} file in it as one table, write `path: {}`; to read one, name it: `path: {}`",
                glob.display(),
                written.join(format!("NAME.{ext}")).display()
            )),
        );
    }
    let what = if is_glob {
        "no file matches the glob"
    } else {
        "there is no file"
    };
    let message = format!("{what} `{}` ({resolved})", written.display());
    let parent = pattern.parent().unwrap_or(Path::new(""));
    let hint = if !parent.as_os_str().is_empty() && !parent.is_dir() && !is_glob {
        format!(
            "the folder {} does not exist; paths are relative to the pipeline file, not to the working directory",
            parent.display()
        )
    } else {
        let names: Vec<String> = std::fs::read_dir(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
        let name = pattern
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match crate::suggest::closest(&name, names.iter().map(String::as_str)) {
            Some(c) if !is_glob => format!(
                "did you mean `{}`? Fix `path` in the pipeline",
                written.with_file_name(c).display()
            ),
            _ => "fix `path` in the pipeline; paths and globs are relative to the pipeline file, not to the working directory".to_string(),
        }
    };
    diag(plan, &src.place, message, Some(hint))
}

/// Why a plain object key names no object.
pub(super) fn no_object(plan: &Plan, src: &SourcePlan, f: &Found) -> Diagnostic {
    diag(
        plan,
        &src.place,
        format!("there is no object `{}`", f.name.display()),
        Some(
            "check the bucket, the key and the storage options (endpoint, region, account)".into(),
        ),
    )
}
