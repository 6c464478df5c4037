//! What every check of a pipeline file writes to: the file, and the problems found so far, each
//! at the place of the value it is about.

use std::path::Path;

use serde_saphyr::Spanned;

use crate::diag::Diagnostic;

/// The problems of one pipeline file, collected so that all are reported at once.
pub(super) struct Checker<'a> {
    pub(super) file: &'a Path,
    pub(super) errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// A problem with the value `s`, found under the dotted `key`.
    pub(super) fn at<T>(
        &mut self,
        s: &Spanned<T>,
        key: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            file: self.file.to_path_buf(),
            line: s.referenced.line(),
            column: s.referenced.column(),
            key: key.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// A problem at a line and column of the file found otherwise than by the YAML parser (a
    /// place inside a SQL string).
    pub(super) fn at_place(
        &mut self,
        line: u64,
        column: u64,
        key: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
            hint,
        });
    }
}
