//! The report's text: numbers for people come from [`crate::numbers`] (the one definition,
//! shared with `explain`), re-exported here; [`escape`] makes any text safe for HTML.

pub use crate::numbers::{compact, int, money, money_cents, num, pct, show_multiplier};

/// Text made safe for XML/HTML text and attribute values: `& < > " '` become entities, and the
/// control characters XML 1.0 forbids (all below U+0020 except tab, newline, carriage return)
/// are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("回收率 2026-10"), "回收率 2026-10");
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "abc\td");
        assert_eq!(escape(""), "");
    }
}
