//! Pipeline files: their shape ([`def`]), and the checked [`Plan`] a run works from ([`validate`]).

pub mod def;
mod plans;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use plans::{default_grades, Grade, Kpi, OrgField, ScorePlan};
pub use validate::{Place, Plan, SourcePlan};

/// One problem in a pipeline file, with where it is and, where known, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
    /// Dotted key path, e.g. `sources.invoices.rename`.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// All the problems found in a pipeline file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{} error{} in the pipeline:",
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Reads, parses and checks a pipeline file. Reads no data.
pub fn load(path: &Path) -> Result<Plan, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::Io {
        what: format!("cannot read the pipeline file {}", path.display()),
        source: e,
    })?;
    load_str(path, &text)
}

/// Parses and checks pipeline text that claims to come from `path`.
pub fn load_str(path: &Path, text: &str) -> Result<Plan, crate::Error> {
    let def: def::PipelineDef = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or("");
        // The location is given in front; drop the parser's own copy of it.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message.to_string(),
        };
        let hint = parse_hint(&message);
        crate::Error::Config(ConfigErrors(vec![Diagnostic {
            file: path.to_path_buf(),
            line,
            column,
            key: String::new(),
            message,
            hint,
        }]))
    })?;
    validate::validate(path, text, def).map_err(|d| crate::Error::Config(ConfigErrors(d)))
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
