//! CSV files as the data contract reads them: the bytes checked for encoding, the header split
//! with the source's delimiter and quote, and every record scanned once for ragged rows and the
//! true line it starts on.

use std::path::Path;

use polars::prelude::*;

use crate::config::SourcePlan;
use crate::error::Error;
use crate::raw::ReadBreak;

/// Why a file cannot be read as the CSV its source says it is.
#[derive(Debug)]
pub(super) enum CsvTrouble {
    /// No byte, or only a BOM and blank space: not even a header.
    Empty,
    /// Bytes that are not UTF-8, at `offset` in the file (line and column 1-based).
    NotUtf8 {
        byte: u8,
        offset: usize,
        line: usize,
        column: usize,
    },
}

impl std::fmt::Display for CsvTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvTrouble::Empty => write!(f, "is empty: it has no header row"),
            CsvTrouble::NotUtf8 { byte, offset, line, column } => write!(
                f,
                "line {line} is not UTF-8 text: byte 0x{byte:02X} at byte offset {offset} of the file (column {column} of the line); re-export the file as UTF-8 (Excel: Save As \"CSV UTF-8\"; a GBK/GB18030 export can be converted with `iconv -f GB18030 -t UTF-8 in.csv > out.csv`)"
            ),
        }
    }
}

pub(super) const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The bytes of a CSV file after its BOM, checked to be UTF-8 text with a header.
pub(super) fn csv_text(bytes: &[u8]) -> Result<&[u8], CsvTrouble> {
    let skip = if bytes.starts_with(UTF8_BOM) { 3 } else { 0 };
    let data = &bytes[skip..];
    if let Err(e) = std::str::from_utf8(data) {
        let at = e.valid_up_to();
        let before = &data[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        // A file cut in the middle of a character is not UTF-8 either, but says so less
        // clearly; report the byte where reading stopped.
        return Err(CsvTrouble::NotUtf8 {
            byte: data[at],
            offset: skip + at,
            line,
            column,
        });
    }
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(CsvTrouble::Empty);
    }
    Ok(data)
}

/// The header of a CSV file: its bytes up to the first unquoted line break.
pub(super) fn csv_header(src: &SourcePlan, bytes: &[u8]) -> Result<Vec<String>, CsvTrouble> {
    let mut quoted = false;
    let end = bytes
        .iter()
        .position(|&c| {
            if c == src.quote {
                quoted = !quoted;
            }
            c == b'\n' && !quoted
        })
        .unwrap_or(bytes.len());
    let header = csv_text(&bytes[..end])?;
    Ok(split_fields(header, src.delimiter, src.quote))
}

/// The fields of one CSV record, unquoted.
pub(super) fn split_fields(record: &[u8], delimiter: u8, quote: u8) -> Vec<String> {
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < record.len() {
        let c = record[i];
        if c == quote {
            if quoted && record.get(i + 1) == Some(&quote) {
                cur.push(quote);
                i += 1;
            } else {
                quoted = !quoted;
            }
        } else if c == delimiter && !quoted {
            out.push(String::from_utf8_lossy(&cur).into_owned());
            cur.clear();
        } else {
            cur.push(c);
        }
        i += 1;
    }
    out.push(String::from_utf8_lossy(&cur).into_owned());
    out
}

/// What one pass over a CSV file's bytes finds: each record's field count and first line.
/// Quotes toggle as in Polars' reader: a delimiter or line break between quotes is text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct CsvScan {
    pub(super) header_fields: usize,
    /// Records after the header as the reader gives them, blank lines included (the reader
    /// gives each as a row of nulls).
    pub(super) read: usize,
    /// The reader's rows (0-based) that are blank lines: they hold no row and are dropped.
    pub(super) blank: Vec<usize>,
    /// `(row, fields, byte range)` of each row (0-based, blank lines not counted) whose field
    /// count is not the header's.
    pub(super) ragged: Vec<(usize, usize, std::ops::Range<usize>)>,
    /// `(row, line)` where a row does not start on the line after the previous row's.
    pub(super) marks: Vec<(usize, usize)>,
}

pub(super) fn scan_csv(b: &[u8], delimiter: u8, quote: u8) -> CsvScan {
    let mut s = CsvScan::default();
    let mut header = true;
    let (mut line, mut rec_line, mut rec_start, mut fields) = (1usize, 1usize, 0usize, 1usize);
    let mut quoted = false;
    let mut rows = 0usize;
    let mut finish =
        |s: &mut CsvScan, fields: usize, line: usize, range: std::ops::Range<usize>| {
            if header {
                header = false;
                s.header_fields = fields;
                return;
            }
            s.read += 1;
            if matches!(&b[range.clone()], b"" | b"\r") {
                s.blank.push(s.read - 1);
                return;
            }
            let k = rows;
            rows += 1;
            let expected = match s.marks.last() {
                Some(&(r0, l0)) => l0 + (k - r0),
                None => k + 2,
            };
            if line != expected {
                s.marks.push((k, line));
            }
            if fields != s.header_fields {
                s.ragged.push((k, fields, range));
            }
        };
    for (i, &c) in b.iter().enumerate() {
        if c == quote {
            quoted = !quoted;
        } else if c == b'\n' {
            line += 1;
            if !quoted {
                finish(&mut s, fields, rec_line, rec_start..i);
                rec_start = i + 1;
                rec_line = line;
                fields = 1;
            }
        } else if c == delimiter && !quoted {
            fields += 1;
        }
    }
    if rec_start < b.len() {
        finish(&mut s, fields, rec_line, rec_start..b.len());
    }
    s
}

pub(super) fn csv_options(src: &SourcePlan) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| {
            o.with_separator(src.delimiter)
                .with_quote_char(Some(src.quote))
                // A long row is read (its extra fields dropped) and reported by the scan.
                .with_truncate_ragged_lines(true)
        })
}

/// How a delimiter is written in YAML.
pub(super) fn show_delimiter(d: u8) -> String {
    match d {
        b'\t' => "\\t".into(),
        d => (d as char).to_string(),
    }
}

/// When a header read with the pipeline's delimiter is one long name that splits into the
/// source's columns on another delimiter: that delimiter.
pub(super) fn other_delimiter(src: &SourcePlan, cols: &[String]) -> Option<u8> {
    let [only] = cols else { return None };
    [b',', b';', b'\t', b'|']
        .into_iter()
        .filter(|&d| d != src.delimiter)
        .find(|&d| {
            split_fields(only.as_bytes(), d, src.quote)
                .iter()
                .filter(|c| src.table.column(src.canonical(c.trim())).is_some())
                .count()
                >= 2
        })
}

/// A file's row as shown in a message: its text, cut to 120 characters (saying how long it was).
pub(super) fn row_text(b: &[u8]) -> String {
    let t = String::from_utf8_lossy(b);
    let t = t.trim_end_matches(['\r', '\n']);
    crate::diag::cut_to(t, 120).into_owned()
}

/// A CSV file read: its rows (blank lines dropped), where rows start on a later line than the
/// one after the previous row's, and its ragged rows.
pub(super) struct CsvRead {
    pub(super) df: DataFrame,
    pub(super) marks: Vec<(usize, usize)>,
    pub(super) breaks: Vec<ReadBreak>,
}

/// Reads the CSV file `path`, whose bytes are `bytes` and whose first row is row `first_row`
/// of its table.
pub(super) fn read(
    src: &SourcePlan,
    path: &Path,
    bytes: &[u8],
    first_row: usize,
) -> Result<CsvRead, Error> {
    let text = csv_text(bytes).map_err(|e| Error::SourceFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let scan = scan_csv(text, src.delimiter, src.quote);
    let df = csv_options(src)
        .into_reader_with_file_handle(std::io::Cursor::new(text))
        .finish()
        .map_err(|source| Error::ReadSource {
            path: path.to_path_buf(),
            format: "CSV",
            source,
        })?;
    if scan.read != df.height() {
        // The scan and the reader disagree on where rows end: a bug, not bad input.
        return Err(Error::SourceFile {
            path: path.to_path_buf(),
            message: format!(
                "internal error: {} rows read, {} rows found by the scan; please report this with the file",
                df.height(),
                scan.read
            ),
        });
    }
    let df = if scan.blank.is_empty() {
        df
    } else {
        let mut keep = vec![true; df.height()];
        for &i in &scan.blank {
            keep[i] = false;
        }
        let mask = BooleanChunked::from_slice("keep".into(), &keep);
        df.filter(&mask)
            .map_err(Error::polars("dropping the blank lines of a CSV file"))?
    };
    let d = show_delimiter(src.delimiter);
    let h = scan.header_fields;
    let breaks = scan
        .ragged
        .into_iter()
        .map(|(k, fields, range)| ReadBreak {
            row: first_row + k,
            column: "",
            value: row_text(&text[range]),
            rule: if fields < h {
                format!("has {fields} fields; the header has {h}: a field is missing (an empty value still needs its `{d}`); fix the row in the file")
            } else {
                format!("has {fields} fields; the header has {h}: a value holds an unquoted `{d}`, or a field is extra; quote values that hold `{d}` and fix the row in the file")
            },
        })
        .collect();
    Ok(CsvRead {
        df,
        marks: scan.marks,
        breaks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{FileInfo, RawTable};
    use crate::tables::Table;

    /// Rows as Polars reads them from `text`, to check the scan against.
    fn polars_rows(text: &[u8]) -> usize {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .map_parse_options(|o| o.with_truncate_ragged_lines(true))
            .into_reader_with_file_handle(std::io::Cursor::new(text))
            .finish()
            .unwrap()
            .height()
    }

    #[test]
    fn the_scan_finds_the_rows_polars_reads() {
        for text in [
            &b"a,b\n1,2\n3,4\n"[..],
            b"a,b\n1,2\n3,4",
            b"a,b\r\n1,2\r\n3,4\r\n",
            b"a,b\n1,2\n\n3,4\n",
            b"a,b\n1,2\n3,4\n\n",
            b"a,b\n\"x\ny\",2\n3,4\n",
            b"a,b\n1\n3,4,5\n",
            b"a,b\n\"x,\"\"y\"\"\",2\n",
            b"a,b\n",
        ] {
            let s = scan_csv(text, b',', b'"');
            assert_eq!(
                s.read,
                polars_rows(text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn ragged_rows_blank_lines_and_line_marks() {
        let text = b"a,b,c\n1,2,3\n\"x\ny\",2,3\n\n4,5\n6,7,8,9\n10,11,12\n";
        let s = scan_csv(text, b',', b'"');
        assert_eq!(s.header_fields, 3);
        assert_eq!(s.read, 6);
        assert_eq!(s.blank, vec![2]);
        // Row 1 starts on line 3 as expected, but spans two lines; the blank line 5 is dropped,
        // so row 2 (`4,5`) is on line 6.
        assert_eq!(s.marks, vec![(2, 6)]);
        let ragged: Vec<_> = s.ragged.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(ragged, vec![(2, 2), (3, 4)]);
        let t = RawTable {
            table: Table::Fees,
            lines: true,
            files: vec![FileInfo {
                path: "f.csv".into(),
                rows: 5,
                fingerprint: String::new(),
                first_row: 0,
                line_marks: s.marks.clone(),
                origin: Vec::new(),
            }],
            df: DataFrame::default(),
            breaks: Vec::new(),
        };
        let lines: Vec<_> = (0..5).map(|i| t.row_ref(i).line.unwrap()).collect();
        assert_eq!(lines, vec![2, 3, 6, 7, 8]);
    }

    #[test]
    fn text_checks() {
        assert!(matches!(csv_text(b""), Err(CsvTrouble::Empty)));
        assert!(matches!(
            csv_text(b"\xef\xbb\xbf\n"),
            Err(CsvTrouble::Empty)
        ));
        assert_eq!(csv_text(b"\xef\xbb\xbfa,b\n").unwrap(), b"a,b\n");
        match csv_text(b"a,b\n1,\xd6\xd0\n") {
            Err(CsvTrouble::NotUtf8 {
                byte,
                offset,
                line,
                column,
            }) => assert_eq!((byte, offset, line, column), (0xd6, 6, 2, 3)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            split_fields(b"\"a,b\",\"c\"\"d\",e\r", b',', b'"'),
            vec!["a,b", "c\"d", "e"]
        );
    }
}
