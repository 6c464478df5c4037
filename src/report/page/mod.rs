//! The report's HTML: the overview of one period with its trends, and one statement per
//! employee. Plain strings, written in a fixed order, so the same tables give the same bytes.

use super::data::{Card, Tables};
use super::format::{escape, num};
use super::labels::{t, Lang};

mod calibration;
mod overview;
mod statement;

pub use overview::overview;
pub use statement::statement;

/// What a page is about.
pub struct Scope<'a> {
    pub lang: Lang,
    pub grain: &'a str,
    /// The periods read, in order; the last is the report's period.
    pub periods: &'a [String],
    /// The output folder, as the header shows it.
    pub source: &'a str,
}

impl Scope<'_> {
    pub fn period(&self) -> &str {
        self.periods.last().map_or("", String::as_str)
    }

    fn previous(&self) -> Option<&str> {
        self.periods
            .len()
            .checked_sub(2)
            .map(|i| self.periods[i].as_str())
    }

    /// The word for `key`, escaped for HTML.
    fn t(&self, key: &str) -> String {
        escape(t(self.lang, key))
    }

    /// The word for `key` as it is (the SVG module escapes what it is given).
    fn w<'k>(&self, key: &'k str) -> &'k str {
        t(self.lang, key)
    }

    /// The label key saying why `metric` has no value: its own, or the general one.
    fn why_na(&self, metric: &str) -> String {
        let key = format!("na_{metric}");
        if super::labels::has(&key) {
            key
        } else {
            "na_value".into()
        }
    }

    /// `n/a` with a tooltip saying why.
    fn na(&self, why: &str) -> String {
        format!(
            "<span class=\"na\" title=\"{}\">{}</span>",
            self.t(why),
            self.t("na")
        )
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:16px 24px;color:#1d2430;background:#fff}\
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d9dee7;padding-bottom:4px}\
h3{font-size:16px;margin:18px 0 6px}.meta{color:#5b6575;font-size:13px}\
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d9dee7;border-radius:6px;padding:8px 12px;min-width:150px}\
.card .v{font-size:20px;font-weight:600}.card .d{font-size:12px;color:#5b6575}.up{color:#0b7a3e}.down{color:#b42318}\
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e6e9ef;padding:3px 8px;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.na{color:#8a94a6;border-bottom:1px dotted #8a94a6}\
.charts{display:flex;flex-wrap:wrap;gap:12px}section.employee{border-top:3px solid #1d2430;margin-top:32px}\
.flag{color:#b42318}.arith{font-family:ui-monospace,monospace;font-size:13px;background:#f5f7fa;padding:8px}";

/// The page around `body`.
pub fn html(scope: &Scope, title: &str, body: &str) -> String {
    document(scope.lang.code(), title, body)
}

/// A self-contained page in language `lang` around `body`: the report's style, no script, and a
/// policy that lets it load nothing.
pub fn document(lang: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(lang),
        escape(title)
    )
}

fn header(scope: &Scope, title: &str) -> String {
    format!(
        "<h1>{}</h1>\n<p class=\"meta\">{}: {} ({}) · {}: {}</p>\n<p class=\"meta\">{}</p>\n",
        escape(title),
        scope.t("period"),
        escape(scope.period()),
        scope.t(scope.grain),
        scope.t("generated_from"),
        escape(scope.source),
        scope.t("figures_note")
    )
}

fn plus(positive: bool) -> &'static str {
    if positive {
        "+"
    } else {
        ""
    }
}

fn opt(scope: &Scope, v: Option<f64>, why: &str, show: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| scope.na(why), show)
}

/// Why a row is flagged: an approved appeal, or the swing of its composite.
fn flag_reason(scope: &Scope, t: &Tables, c: &Card) -> String {
    let appealed = t
        .kpis_of(&c.period, &c.employee_id)
        .iter()
        .any(|k| k.adjusted);
    if appealed {
        return scope.t("flag_appeal");
    }
    // The previous period read, if the employee had a row in it.
    let prev = scope
        .periods
        .iter()
        .position(|p| *p == c.period)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| t.card_of(&scope.periods[i], &c.employee_id))
        .and_then(|p| p.composite);
    match (prev, c.composite) {
        (Some(a), Some(b)) => format!(
            "{} {} {} {} ({}{})",
            scope.t("flag_swing"),
            num(a, 1),
            scope.t("to"),
            num(b, 1),
            plus(b > a),
            num(b - a, 1)
        ),
        _ => String::new(),
    }
}

/// The employees with a scorecard row in the period, by id.
pub fn employees<'a>(t: &'a Tables, period: &str) -> Vec<&'a Card> {
    let mut v: Vec<&Card> = t.cards.iter().filter(|c| c.period == period).collect();
    v.sort_by(|a, b| a.employee_id.cmp(&b.employee_id));
    v
}
