//! The messages of what is wrong with the input: a problem in a pipeline file
//! ([`Diagnostic`], all of a file's in [`ConfigErrors`]) and a row that breaks a rule of the data
//! contract ([`RuleBreak`], a failed run's in [`InputErrors`]). They know nothing of the rest of
//! the crate, so that every layer can report in them.

use std::fmt;
use std::path::PathBuf;

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

impl ConfigErrors {
    /// The problems under a heading naming what holds them: `3 errors in the pipeline:`.
    pub fn titled(&self, what: &str) -> String {
        let n = self.0.len();
        let mut s = format!("{n} error{} in {what}:\n", if n == 1 { "" } else { "s" });
        for d in &self.0 {
            s.push_str(&format!("{d}\n"));
        }
        s
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.titled("the pipeline"))
    }
}

/// How many characters of a value a message shows; a longer value is cut, see [`cut`].
pub const SHOWN_CHARS: usize = 60;

/// A value as a message echoes it: whole up to [`SHOWN_CHARS`] characters, else its first
/// [`SHOWN_CHARS`] and how long it was, `abc… (100000 characters)`. Only messages are cut; the
/// `rejects` table keeps values whole.
pub fn cut(value: &str) -> std::borrow::Cow<'_, str> {
    cut_to(value, SHOWN_CHARS)
}

/// `value` whole up to `n` characters, else its first `n` and how long it was.
pub fn cut_to(value: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(n) {
        None => value.into(),
        Some((end, _)) => {
            format!("{}… ({} characters)", &value[..end], value.chars().count()).into()
        }
    }
}

/// One row that breaks a rule of the data contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBreak {
    /// `file:line (row n)`.
    pub at: String,
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
    pub rule: String,
}

impl fmt::Display for RuleBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            // The whole row: a CSV row that cannot be split into the header's fields.
            return write!(
                f,
                "{}: {} row `{}`: {}",
                self.at, self.table, self.value, self.rule
            );
        }
        let value = if self.value.is_empty() {
            "(empty)".to_string()
        } else {
            format!("`{}`", cut(&self.value))
        };
        write!(
            f,
            "{}: {}.{} = {value}: {}",
            self.at, self.table, self.column, self.rule
        )
    }
}

/// Rule breaks found in the input, the first few of them listed.
#[derive(Debug, thiserror::Error)]
pub struct InputErrors {
    pub shown: Vec<RuleBreak>,
    pub total: usize,
    /// What to do.
    pub hint: &'static str,
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (rows, verb) = if self.total == 1 {
            ("row", "breaks")
        } else {
            ("rows", "break")
        };
        writeln!(f, "{} {rows} {verb} the data contract:", self.total)?;
        for r in &self.shown {
            writeln!(f, "{r}")?;
        }
        if self.total > self.shown.len() {
            writeln!(f, "... and {} more", self.total - self.shown.len())?;
        }
        writeln!(f, "  hint: {}", self.hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_at_a_character_and_say_their_length() {
        assert_eq!(cut("1234.50"), "1234.50");
        let sixty = "x".repeat(60);
        assert_eq!(cut(&sixty), sixty);
        assert_eq!(cut(&"x".repeat(61)), format!("{sixty}… (61 characters)"));
        // Characters, not bytes: a name in Chinese is cut between characters.
        let name = "保理".repeat(50);
        assert_eq!(
            cut(&name),
            format!("{}… (100 characters)", "保理".repeat(30))
        );
        assert_eq!(cut_to("abcdef", 3), "abc… (6 characters)");
    }
}
