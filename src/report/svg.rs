//! Inline SVG charts for the HTML report, written as strings: no script, no reference to anything
//! outside the SVG, the system font only, and the same bytes for the same input.
//!
//! What every chart keeps to: a `<title>` for the chart and one per data mark (the browser's
//! tooltip: the mark's label and value, or the caller's `null_tip` for a null); every coordinate
//! goes through [`c`] (one decimal, never `-0.0`); inputs are read in their order only; only
//! `+ - * /`, `floor`, `ceil` and `round` touch numbers, so every platform gives the same bytes;
//! every word comes from the caller and goes through [`format::escape`] (the charts own only
//! numbers and the symbols `·`, `→`, `<`, `>`, `–`). NaN and infinities count as nulls, and a
//! missing value (a short row) as a null too.
//!
//! Colours come from the Okabe-Ito palette (with its grey), which readers with the common
//! colour-vision deficiencies still tell apart: [`SERIES`] for lines, [`CATEGORIES`] for stacked
//! bars, [`HEAT_STOPS`] for the heatmap, [`ACCENT`] for the highlighted person and the actual.

use std::fmt::Write;

use super::format::{self, escape};
use crate::config::def::Direction;
use crate::scoring::curve;
use draw::*;

mod draw;
#[cfg(test)]
mod tests;

/// Line colours in series order (Okabe-Ito): blue, orange, bluish green, vermillion, reddish
/// purple, sky blue, black, and yellow last as the weakest on white. From the ninth series on
/// the colours repeat with a dashed line.
pub const SERIES: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
];
/// Segment colours in category order (Okabe-Ito), chosen for grades best to worst and then
/// "not rated": bluish green, sky blue, yellow, orange, vermillion, grey; then blue, reddish
/// purple, black; then they repeat.
pub const CATEGORIES: [&str; 9] = [
    "#009E73", "#56B4E9", "#F0E442", "#E69F00", "#D55E00", "#999999", "#0072B2", "#CC79A7",
    "#000000",
];
/// The highlighted person on the strip and the actual on the score curve: vermillion.
pub const ACCENT: &str = "#D55E00";
/// The heatmap's diverging scale, score -> sRGB, linear between stops and clamped to 0..120:
/// vermillion at 40 and below, pale vermillion at 70, neutral grey-white at 100, bluish green at
/// 120. So below 70 reads red, 70..100 fades to neutral and above 100 turns green. Okabe-Ito's
/// vermillion and bluish green differ in hue and lightness under deuteranopia and protanopia, and
/// every cell also prints its value.
pub const HEAT_STOPS: [(f64, [u8; 3]); 4] = [
    (40.0, [0xD5, 0x5E, 0x00]),
    (70.0, [0xF4, 0xC3, 0xA0]),
    (100.0, [0xF7, 0xF7, 0xF7]),
    (120.0, [0x00, 0x9E, 0x73]),
];
/// A null cell of the heatmap.
pub const NULL_FILL: &str = "#E0E0E0";
const NULL_MARK: &str = "#999999";
const INK: &str = "#222222";
const MUTED: &str = "#666666";
const GRID: &str = "#E3E3E3";
const WHITE: &str = "#FFFFFF";

/// How a value axis and tooltips show numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// A ratio, shown as a percent with 1 decimal.
    Ratio,
    /// An amount, with 2 decimals.
    Money,
    /// A whole number.
    Count,
    /// A KPI or composite score, with 1 decimal.
    Score,
    /// Any other number, with 2 decimals.
    Plain,
}

/// The tooltip text of a value (`n/a` when it is not finite).
pub fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format::pct(v),
        Unit::Money => format::money(v),
        Unit::Count => format::num(v, 0),
        Unit::Score => format::num(v, 1),
        Unit::Plain => format::num(v, 2),
    }
}

/// One line of a line chart: one value per x label (a missing or non-finite one is a gap).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend's and the tooltips' name, already translated.
    pub name: String,
    /// The values in the order of the x labels.
    pub values: Vec<Option<f64>>,
}

/// Multi-series line chart over periods: y axis with 4 to 6 round ticks, a legend, gaps at
/// nulls (each null a hollow grey mark on the x axis with `null_tip`).
pub fn line_chart(
    title: &str,
    x: &[String],
    series: &[Series],
    unit: Unit,
    null_tip: &str,
) -> String {
    let w = 640.0;
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let (places, rows) = legend_places(&names, 10.0, w - 20.0);
    let top = 44.0 + rows as f64 * 18.0;
    let (lo, hi) = bounds(
        series
            .iter()
            .flat_map(|s| (0..x.len()).filter_map(|i| value(&s.values, i))),
    );
    let axis = nice(lo, hi, unit == Unit::Count);
    let labels = tick_labels(&axis, unit);
    let f = frame(&labels, w, top, top + 200.0, &axis);
    let mut out = open(title, w, f.b + 34.0);
    y_axis(&mut out, &f, &axis.ticks, &labels);
    x_labels(&mut out, &f, x);
    legend(&mut out, &places, &names, 34.0, |i| {
        let (colour, dash) = series_style(i);
        format!(
            r#"<line x1="0.0" y1="0.0" x2="16.0" y2="0.0" stroke="{colour}" stroke-width="2"{dash}/>"#
        )
    });
    for (si, s) in series.iter().enumerate() {
        let (colour, dash) = series_style(si);
        let mut d = String::new();
        let mut pen = false;
        for i in 0..x.len() {
            match value(&s.values, i) {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{},{}",
                        if pen { " L" } else { " M" },
                        c(f.cx(i, x.len())),
                        c(f.y(v))
                    );
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(out, r#"<g class="series">"#);
        // A lone point has no line; its mark shows it.
        if d.contains(" L") {
            let _ = write!(
                out,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                d.trim_start()
            );
        }
        let offset = (si as f64 - (series.len() as f64 - 1.0) / 2.0) * 5.0;
        for (i, label) in x.iter().enumerate() {
            let head = format!("{} · {label}", s.name);
            match value(&s.values, i) {
                Some(v) => {
                    let tip = tip(&format!("{head}: {}", show(v, unit)));
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3" fill="{colour}">{tip}</circle>"#,
                        c(f.cx(i, x.len())),
                        c(f.y(v))
                    );
                }
                None => {
                    let tip = tip(&format!("{head}: {null_tip}"));
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3" fill="none" stroke="{NULL_MARK}">{tip}</circle>"#,
                        c(f.cx(i, x.len()) + offset),
                        c(f.b)
                    );
                }
            }
        }
        out.push_str("</g>");
    }
    close(out)
}

/// Stacked bars, one bar per x label, one segment per category (`counts[category][x]`, a missing
/// count is 0), a legend, each segment's tooltip `x · A: 12 (34.5%)` and the total above the bar.
pub fn stacked_bars(
    title: &str,
    x: &[String],
    categories: &[String],
    counts: &[Vec<u64>],
) -> String {
    let w = 640.0;
    let names: Vec<&str> = categories.iter().map(String::as_str).collect();
    let (places, rows) = legend_places(&names, 10.0, w - 20.0);
    let top = 48.0 + rows as f64 * 18.0;
    let count = |ci: usize, xi: usize| counts.get(ci).and_then(|r| r.get(xi)).copied().unwrap_or(0);
    let totals: Vec<u64> = (0..x.len())
        .map(|xi| (0..categories.len()).fold(0u64, |t, ci| t.saturating_add(count(ci, xi))))
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let axis = nice(0.0, max as f64, true);
    let labels = tick_labels(&axis, Unit::Count);
    let f = frame(&labels, w, top, top + 200.0, &axis);
    let mut out = open(title, w, f.b + 34.0);
    y_axis(&mut out, &f, &axis.ticks, &labels);
    x_labels(&mut out, &f, x);
    legend(&mut out, &places, &names, 34.0, |i| {
        format!(
            r#"<rect x="0.0" y="-5.0" width="12.0" height="10.0" fill="{}"/>"#,
            CATEGORIES[i % CATEGORIES.len()]
        )
    });
    let bw = (f.slot(x.len()) * 0.6).min(56.0);
    for (xi, label) in x.iter().enumerate() {
        let x0 = c(f.cx(xi, x.len()) - bw / 2.0);
        let total = totals[xi];
        let _ = write!(out, r#"<g class="bar">"#);
        let mut below = 0u64;
        for (ci, cat) in categories.iter().enumerate() {
            let n = count(ci, xi);
            let above = below.saturating_add(n);
            let (y_top, y_bottom) = (round1(f.y(above as f64)), round1(f.y(below as f64)));
            below = above;
            let share = if total == 0 {
                String::new()
            } else {
                format!(" ({})", format::pct(n as f64 / total as f64))
            };
            let tip = tip(&format!(
                "{label} · {cat}: {}{share}",
                format::int(i64::try_from(n).unwrap_or(i64::MAX))
            ));
            let fill = CATEGORIES[ci % CATEGORIES.len()];
            let _ = write!(
                out,
                r#"<rect x="{x0}" y="{}" width="{}" height="{}" fill="{fill}">{tip}</rect>"#,
                c(y_top),
                c(bw),
                c(y_bottom - y_top)
            );
        }
        let total_text = escape(&format::int(i64::try_from(total).unwrap_or(i64::MAX)));
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{total_text}</text></g>"#,
            c(f.cx(xi, x.len())),
            c(f.y(total as f64) - 4.0)
        );
    }
    close(out)
}

/// Heatmap of rows x columns (`values[row][col]`, scores 0..120): each cell coloured by
/// [`HEAT_STOPS`] and printing its value with 1 decimal; a null cell grey with `null_tip`.
pub fn heatmap(
    title: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<Option<f64>>],
    null_tip: &str,
) -> String {
    let (cw, ch) = (56.0, 26.0);
    let widest = |ls: &[String]| ls.iter().map(|l| text_w(l, 11.0)).fold(0.0, f64::max);
    let left = 16.0 + widest(rows);
    let slant = widest(cols) * 0.7072;
    let top = 40.0 + slant;
    let bottom = top + rows.len() as f64 * ch;
    let cell = |r: usize, k: usize| {
        values
            .get(r)
            .and_then(|row| row.get(k))
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    };
    let any_null = (0..rows.len()).any(|r| (0..cols.len()).any(|k| cell(r, k).is_none()));
    let legend_w = 6.0 * 34.0
        + if any_null {
            40.0 + text_w(null_tip, 11.0)
        } else {
            0.0
        };
    let w = (left + cols.len() as f64 * cw + slant + 10.0)
        .max(legend_w + 20.0)
        .max(text_w(title, 13.0) + 20.0);
    let mut out = open(title, w, bottom + 52.0);
    for (k, col) in cols.iter().enumerate() {
        let (x, y) = (c(left + (k as f64 + 0.5) * cw), c(top - 6.0));
        let _ = write!(
            out,
            r#"<text x="{x}" y="{y}" transform="rotate(-45 {x} {y})" fill="{INK}">{}</text>"#,
            escape(col)
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as f64 * ch;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{INK}">{}</text>"#,
            c(left - 6.0),
            c(y + ch / 2.0 + 4.0),
            escape(row)
        );
        for (k, col) in cols.iter().enumerate() {
            let tip = format!("{row} · {col}");
            heat_cell(
                &mut out,
                left + k as f64 * cw,
                y,
                (cw, ch),
                cell(r, k),
                &tip,
                null_tip,
            );
        }
    }
    let lx = left.min(w - legend_w - 10.0).max(10.0);
    heat_legend(&mut out, lx, bottom + 16.0, any_null.then_some(null_tip));
    close(out)
}

/// A score curve that cannot be drawn (three values not strictly ordered for the direction):
/// the marks and the actual with its score, as words.
fn flat_note(
    title: &str,
    marks: [&str; 3],
    points: [f64; 3],
    actual: Option<(f64, f64)>,
    unit: Unit,
) -> String {
    let mut out = open(title, 380.0, 112.0);
    for (i, (word, v)) in marks.iter().zip(points).enumerate() {
        let _ = write!(
            out,
            r#"<text x="10.0" y="{}" fill="{INK}">{}</text>"#,
            c(48.0 + i as f64 * 16.0),
            escape(&format!("{word}: {}", show(v, unit)))
        );
    }
    if let Some((a, score)) = actual {
        let _ = write!(
            out,
            r#"<text x="10.0" y="100.0" fill="{ACCENT}">{}</text>"#,
            escape(&format!("{} → {}", show(a, unit), format::num(score, 1)))
        );
    }
    close(out)
}

/// The KPI score curve of contract 5.2 (as `scoring::curve::score` computes it), over the
/// threshold..stretch range padded by 15% each side, the x axis increasing to the right in both
/// directions (so a `lower` curve falls from 120 to 0). The three points carry a tick with the
/// caller's `marks` word and value; the actual, when given, is a dot at its score (the given
/// score, else the curve's), clamped to the edge when outside the range with `(> edge)` or
/// `(< edge)` in its tooltip. Values not strictly ordered for the direction, or not finite, give
/// a note of the three values instead of a curve.
#[allow(clippy::too_many_arguments)]
pub fn score_curve(
    title: &str,
    higher_is_better: bool,
    threshold: f64,
    target: f64,
    stretch: f64,
    actual: Option<f64>,
    score: Option<f64>,
    unit: Unit,
    marks: [&str; 3],
) -> String {
    let dir = if higher_is_better {
        Direction::Higher
    } else {
        Direction::Lower
    };
    let points = [threshold, target, stretch];
    let actual = actual.filter(|a| a.is_finite());
    let score_of = |a: f64| {
        score
            .filter(|s| s.is_finite())
            .unwrap_or_else(|| curve::score(dir, a, threshold, target, stretch).0)
    };
    let Some(g) = CurveFrame::new(dir, threshold, target, stretch) else {
        let actual = actual.map(|a| (a, score_of(a)));
        return flat_note(title, marks, points, actual, unit);
    };
    let mut out = open(title, 380.0, 250.0);
    let ticks = [0.0, 50.0, 100.0, 120.0];
    let labels: Vec<String> = ticks.iter().map(|t| format::num(*t, 0)).collect();
    y_axis(&mut out, &g.frame(), &ticks, &labels);
    let line: Vec<String> = g
        .points(dir, threshold, target, stretch)
        .iter()
        .map(|(x, y)| format!("{},{}", c(*x), c(*y)))
        .collect();
    let _ = write!(
        out,
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
        line.join(" "),
        SERIES[0]
    );
    for (i, (word, v)) in marks.iter().zip(points).enumerate() {
        let x = c(g.x(v));
        // The target's words go on a second row, so that no two labels meet.
        let row = if i == 1 { 26.0 } else { 0.0 };
        let tip = tip(&format!("{word}: {}", show(v, unit)));
        let _ = write!(
            out,
            r#"<g class="mark">{tip}<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{MUTED}" stroke-dasharray="2 3"/><line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{INK}"/><text x="{x}" y="{}" text-anchor="middle" fill="{INK}">{}</text><text x="{x}" y="{}" text-anchor="middle" fill="{MUTED}">{}</text></g>"#,
            c(g.t),
            c(g.b),
            c(g.b),
            c(g.b + 5.0 + row),
            c(g.b + 16.0 + row),
            escape(word),
            c(g.b + 28.0 + row),
            escape(&show(v, unit))
        );
    }
    if let Some(a) = actual {
        let s = score_of(a);
        let (shown, edge) = if a < g.lo {
            (g.lo, format!(" (< {})", show(g.lo, unit)))
        } else if a > g.hi {
            (g.hi, format!(" (> {})", show(g.hi, unit)))
        } else {
            (a, String::new())
        };
        let (x, y) = (c(g.x(shown)), c(g.y(s.clamp(0.0, 130.0))));
        let tip = tip(&format!("{}{edge} → {}", show(a, unit), format::num(s, 1)));
        let _ = write!(
            out,
            r#"<g class="actual">{tip}<circle cx="{x}" cy="{y}" r="5" fill="{ACCENT}" stroke="{WHITE}"/><text x="{x}" y="{}" text-anchor="middle" fill="{ACCENT}">{}</text></g>"#,
            c(g.y(s.clamp(0.0, 130.0)) - 9.0),
            format::num(s, 1)
        );
    }
    close(out)
}

/// Up to this many composites a calibration strip draws a dot each; past it, a histogram.
pub const STRIP_DOTS: usize = 60;

/// Calibration strip: each composite score a dot on one axis (jittered up and down by index),
/// or, past [`STRIP_DOTS`], a histogram of them; the highlighted one larger in [`ACCENT`], and
/// the caller's caption under the axis.
pub fn strip(title: &str, values: &[f64], highlight: Option<f64>, caption: &str) -> String {
    let w = 560.0;
    let highlight = highlight.filter(|h| h.is_finite());
    let (lo, hi) = bounds(
        values
            .iter()
            .copied()
            .chain(highlight)
            .filter(|v| v.is_finite()),
    );
    let axis = if lo >= 0.0 && hi <= 120.0 || lo > hi {
        Axis {
            ticks: (0..=6).map(|i| i as f64 * 20.0).collect(),
            step: 20.0,
        }
    } else {
        nice(lo.min(0.0), hi.max(120.0), false)
    };
    let labels = tick_labels(&axis, Unit::Score);
    let (first, last) = (axis.ticks[0], axis.ticks[axis.ticks.len() - 1]);
    let (l, r, mid) = (24.0, w - 24.0, 60.0);
    let x = |v: f64| l + (v - first) / (last - first) * (r - l);
    let mut out = open(title, w, 130.0);
    let _ = write!(
        out,
        r#"<line x1="{}" y1="82.0" x2="{}" y2="82.0" stroke="{MUTED}"/>"#,
        c(l),
        c(r)
    );
    for (t, label) in axis.ticks.iter().zip(&labels) {
        let tx = c(x(*t));
        let _ = write!(
            out,
            r#"<line x1="{tx}" y1="82.0" x2="{tx}" y2="86.0" stroke="{MUTED}"/><text x="{tx}" y="98.0" text-anchor="middle" fill="{MUTED}">{}</text>"#,
            escape(label)
        );
    }
    let finite = values.iter().filter(|v| v.is_finite()).count();
    if finite > STRIP_DOTS {
        // A large group: a histogram of the composites (one bar per axis step / 4, its count in
        // its tooltip), so a statement stays small whatever the group's size.
        let width = axis.step / 4.0;
        let bins = ((last - first) / width).round().max(1.0) as usize;
        let mut counts = vec![0usize; bins];
        for v in values.iter().filter(|v| v.is_finite()) {
            let b = (((v - first) / width).floor().max(0.0) as usize).min(bins - 1);
            counts[b] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        for (b, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let lo = first + b as f64 * width;
            let h = 40.0 * *n as f64 / most;
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.55">{}</rect>"#,
                c(x(lo) + 0.5),
                c(80.0 - h),
                c(x(lo + width) - x(lo) - 1.0),
                c(h),
                SERIES[0],
                tip(&format!(
                    "{} – {}: {n}",
                    show(lo, Unit::Score),
                    show(lo + width, Unit::Score)
                ))
            );
        }
    }
    for (i, v) in values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .take_while(|_| finite <= STRIP_DOTS)
    {
        let jitter = ((i % 9) * 4 % 9) as f64 - 4.0;
        let tip = tip(&show(*v, Unit::Score));
        let _ = write!(
            out,
            r#"<circle cx="{}" cy="{}" r="4" fill="{}" fill-opacity="0.55">{tip}</circle>"#,
            c(x(*v)),
            c(mid + jitter * 2.5),
            SERIES[0]
        );
    }
    if let Some(h) = highlight {
        let text = if caption.is_empty() {
            show(h, Unit::Score)
        } else {
            format!("{} · {caption}", show(h, Unit::Score))
        };
        let _ = write!(
            out,
            r#"<circle cx="{}" cy="{}" r="7" fill="{ACCENT}" stroke="{INK}">{}</circle>"#,
            c(x(h)),
            c(mid),
            tip(&text)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="120.0" fill="{INK}">{}</text>"#,
        c(l),
        escape(caption)
    );
    close(out)
}
