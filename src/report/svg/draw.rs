//! The pieces the charts share: coordinates, text, round ticks, axes, legends, colour scales
//! and the score curve's geometry.

use std::fmt::Write;

use super::{Unit, GRID, HEAT_STOPS, INK, MUTED, NULL_FILL, SERIES, WHITE};
use crate::config::def::Direction;
use crate::report::format::{self, escape};

/// A coordinate: one decimal, never `-0.0`, `0.0` for a non-finite one.
pub(super) fn c(v: f64) -> String {
    let s = if v.is_finite() {
        format!("{v:.1}")
    } else {
        "0.0".to_string()
    };
    if s == "-0.0" {
        "0.0".to_string()
    } else {
        s
    }
}

/// `v` rounded to one decimal, as [`c`] prints it.
pub(super) fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub(super) fn tip(text: &str) -> String {
    format!("<title>{}</title>", escape(text))
}

pub(super) fn value(values: &[Option<f64>], i: usize) -> Option<f64> {
    values.get(i).copied().flatten().filter(|v| v.is_finite())
}

/// The smallest and largest of `vs`, `(inf, -inf)` when there is none.
pub(super) fn bounds(vs: impl Iterator<Item = f64>) -> (f64, f64) {
    vs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// Rough width of text in pixels: CJK and other wide characters count a full em, the rest 0.6.
pub(super) fn text_w(s: &str, size: f64) -> f64 {
    let wide = |ch: char| matches!(ch as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    s.chars()
        .map(|ch| if wide(ch) { 1.0 } else { 0.6 })
        .sum::<f64>()
        * size
}

/// The `<svg>` element, its `<title>`, the visible title, and the group with the font.
pub(super) fn open(title: &str, w: f64, h: f64) -> String {
    let (w, h, t) = (
        w.ceil().clamp(1.0, 1e6),
        h.ceil().clamp(1.0, 1e6),
        escape(title),
    );
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" class="chart" aria-label="{t}"><title>{t}</title><g font-family="system-ui, sans-serif" font-size="11"><text x="10.0" y="20.0" font-size="13" font-weight="600" fill="{INK}">{t}</text>"#
    )
}

pub(super) fn close(mut out: String) -> String {
    out.push_str("</g></svg>");
    out
}

/// Round ticks of a value axis, first to last covering the data.
pub(super) struct Axis {
    pub(super) ticks: Vec<f64>,
    pub(super) step: f64,
}

/// 4 to 6 ticks (3 to 5 steps of 1, 2 or 5 times a power of ten, at least 1 when `integer`)
/// covering lo..hi; 0..1 when there is no data or only zeros, and a single value padded by 10%
/// of itself.
pub(super) fn nice(lo: f64, hi: f64, integer: bool) -> Axis {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    // A span within float noise of the values counts as a single value.
    if hi - lo <= 1e-9 * lo.abs().max(hi.abs()).max(1.0) {
        let mid = (lo + hi) / 2.0;
        let mid = if mid.abs() < 1e-9 { 0.0 } else { mid };
        let pad = if mid == 0.0 { 1.0 } else { mid.abs() * 0.1 };
        (lo, hi) = if mid >= 0.0 && mid - pad < 0.0 {
            (0.0, mid + pad)
        } else {
            (mid - pad, mid + pad)
        };
    }
    let raw = (hi - lo) / 5.0;
    let mut p = 1.0;
    for _ in 0..700 {
        if p <= raw || p < 1e-300 {
            break;
        }
        p /= 10.0;
    }
    for _ in 0..700 {
        if p * 10.0 > raw || p > 1e300 {
            break;
        }
        p *= 10.0;
    }
    let steps = |s: f64| ((hi / s - 1e-9).ceil(), (lo / s + 1e-9).floor());
    let candidates = [p, 2.0 * p, 5.0 * p, 10.0 * p, 20.0 * p, 50.0 * p];
    let usable = candidates.iter().copied().filter(|s| !integer || *s >= 1.0);
    let count = |s: f64| {
        let (top, bottom) = steps(s);
        top - bottom
    };
    let step = usable
        .clone()
        .find(|s| (3.0..=5.0).contains(&count(*s)))
        .or_else(|| usable.clone().find(|s| count(*s) <= 5.0))
        .unwrap_or(if integer {
            1.0f64.max(50.0 * p)
        } else {
            50.0 * p
        });
    let (_, bottom) = steps(step);
    let n = count(step).clamp(1.0, 6.0) as usize;
    Axis {
        ticks: (0..=n).map(|i| (bottom + i as f64) * step).collect(),
        step,
    }
}

/// Tick labels: percents for ratios, else [`format::compact`]; when two of those would read the
/// same, as many decimals as the step needs.
pub(super) fn tick_labels(axis: &Axis, unit: Unit) -> Vec<String> {
    let ratio = unit == Unit::Ratio;
    let short: Vec<String> = axis
        .ticks
        .iter()
        .map(|t| {
            if ratio {
                format::pct(*t)
            } else {
                format::compact(*t)
            }
        })
        .collect();
    if short.windows(2).all(|w| w[0] != w[1]) {
        return short;
    }
    let scale = if ratio { 100.0 } else { 1.0 };
    let mut decimals = 0;
    let mut s = axis.step * scale;
    while decimals < 12 && (s - s.round()).abs() > 1e-6 * s.abs().max(1e-300) {
        s *= 10.0;
        decimals += 1;
    }
    let suffix = if ratio { "%" } else { "" };
    axis.ticks
        .iter()
        .map(|t| format!("{}{suffix}", format::num(t * scale, decimals)))
        .collect()
}

/// The plot area and its y scale (ticks first to last, bottom to top).
pub(super) struct Frame {
    pub(super) l: f64,
    pub(super) r: f64,
    pub(super) t: f64,
    pub(super) b: f64,
    pub(super) lo: f64,
    pub(super) hi: f64,
}

impl Frame {
    pub(super) fn y(&self, v: f64) -> f64 {
        self.b - (v - self.lo) / (self.hi - self.lo) * (self.b - self.t)
    }
    pub(super) fn slot(&self, n: usize) -> f64 {
        (self.r - self.l) / n.max(1) as f64
    }
    pub(super) fn cx(&self, i: usize, n: usize) -> f64 {
        self.l + (i as f64 + 0.5) * self.slot(n)
    }
}

/// The plot area of a chart `w` wide, left of it room for the widest tick label.
pub(super) fn frame(labels: &[String], w: f64, t: f64, b: f64, axis: &Axis) -> Frame {
    let widest = labels.iter().map(|l| text_w(l, 11.0)).fold(0.0, f64::max);
    let (lo, hi) = (axis.ticks[0], axis.ticks[axis.ticks.len() - 1]);
    Frame {
        l: 16.0 + widest,
        r: w - 16.0,
        t,
        b,
        lo,
        hi,
    }
}

pub(super) fn y_axis(out: &mut String, f: &Frame, ticks: &[f64], labels: &[String]) {
    out.push_str(r#"<g class="axis">"#);
    for (t, label) in ticks.iter().zip(labels) {
        let y = f.y(*t);
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{GRID}"/><text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{}</text>"#,
            c(f.l),
            c(y),
            c(f.r),
            c(y),
            c(f.l - 6.0),
            c(y + 4.0),
            escape(label)
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{MUTED}"/></g>"#,
        c(f.l),
        c(f.b),
        c(f.r),
        c(f.b)
    );
}

/// The x labels under the slots, every k-th one when they would not fit side by side.
pub(super) fn x_labels(out: &mut String, f: &Frame, x: &[String]) {
    let widest = x.iter().map(|l| text_w(l, 11.0)).fold(0.0, f64::max);
    let every = (((widest + 8.0) / f.slot(x.len())).ceil() as usize).max(1);
    for (i, label) in x.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="{INK}">{}</text>"#,
            c(f.cx(i, x.len())),
            c(f.b + 16.0),
            escape(label)
        );
    }
}

/// Where legend items go, left to right and wrapping within `width`: (x, row) of each, and the
/// rows used (0 for no items).
pub(super) fn legend_places(names: &[&str], x0: f64, width: f64) -> (Vec<(f64, usize)>, usize) {
    let (mut x, mut row, mut places) = (x0, 0, Vec::with_capacity(names.len()));
    for name in names {
        let w = 22.0 + text_w(name, 11.0) + 14.0;
        if x > x0 && x + w > x0 + width {
            (x, row) = (x0, row + 1);
        }
        places.push((x, row));
        x += w;
    }
    let rows = if names.is_empty() { 0 } else { row + 1 };
    (places, rows)
}

/// The legend, its first row at `y`, each item's swatch drawn by `swatch` at the origin.
pub(super) fn legend(
    out: &mut String,
    places: &[(f64, usize)],
    names: &[&str],
    y: f64,
    swatch: impl Fn(usize) -> String,
) {
    out.push_str(r#"<g class="legend">"#);
    for (i, ((x, row), name)) in places.iter().zip(names).enumerate() {
        let y = y + *row as f64 * 18.0;
        let _ = write!(
            out,
            r#"<g transform="translate({} {})">{}<text x="22.0" y="4.0" fill="{INK}">{}</text></g>"#,
            c(*x),
            c(y),
            swatch(i),
            escape(name)
        );
    }
    out.push_str("</g>");
}

pub(super) fn series_style(i: usize) -> (&'static str, &'static str) {
    let dash = if (i / SERIES.len()) % 2 == 1 {
        r#" stroke-dasharray="6 3""#
    } else {
        ""
    };
    (SERIES[i % SERIES.len()], dash)
}

/// The colour of a finite score on [`HEAT_STOPS`].
pub(super) fn heat(v: f64) -> String {
    let v = v.clamp(0.0, 120.0);
    let mut rgb = HEAT_STOPS[0].1;
    for pair in HEAT_STOPS.windows(2) {
        let ((a, from), (b, to)) = (pair[0], pair[1]);
        if v >= a {
            let t = ((v - a) / (b - a)).min(1.0);
            rgb = [0, 1, 2].map(|i| {
                (f64::from(from[i]) + (f64::from(to[i]) - f64::from(from[i])) * t).round() as u8
            });
        }
    }
    format!("#{:02X}{:02X}{:02X}", rgb[0], rgb[1], rgb[2])
}

/// The perceived lightness (0..255) of a `#RRGGBB` colour.
pub(super) fn luminance(hex: &str) -> f64 {
    let part = |i: usize| {
        f64::from(
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0),
        )
    };
    (299.0 * part(1) + 587.0 * part(3) + 114.0 * part(5)) / 1000.0
}

/// The score curve's plot: x from `lo` to `hi` (threshold..stretch padded by 15%), y 0..130.
pub(super) struct CurveFrame {
    pub(super) l: f64,
    pub(super) r: f64,
    pub(super) t: f64,
    pub(super) b: f64,
    pub(super) lo: f64,
    pub(super) hi: f64,
}

impl CurveFrame {
    /// None when the three values are not finite or not strictly ordered for the direction.
    pub(super) fn new(
        dir: Direction,
        threshold: f64,
        target: f64,
        stretch: f64,
    ) -> Option<CurveFrame> {
        let finite = [threshold, target, stretch].iter().all(|v| v.is_finite());
        if !finite || !dir.ordered(threshold, target, stretch) {
            return None;
        }
        let (lo, hi) = (threshold.min(stretch), threshold.max(stretch));
        let pad = (hi - lo) * 0.15;
        let (lo, hi) = (lo - pad, hi + pad);
        (hi - lo).is_finite().then_some(CurveFrame {
            l: 40.0,
            r: 360.0,
            t: 40.0,
            b: 180.0,
            lo,
            hi,
        })
    }
    pub(super) fn x(&self, v: f64) -> f64 {
        self.l + (v - self.lo) / (self.hi - self.lo) * (self.r - self.l)
    }
    pub(super) fn y(&self, score: f64) -> f64 {
        self.b - score / 130.0 * (self.b - self.t)
    }
    pub(super) fn frame(&self) -> Frame {
        Frame {
            l: self.l,
            r: self.r,
            t: self.t,
            b: self.b,
            lo: 0.0,
            hi: 130.0,
        }
    }
    /// The curve's corners left to right, in drawn coordinates.
    pub(super) fn points(
        &self,
        dir: Direction,
        threshold: f64,
        target: f64,
        stretch: f64,
    ) -> [(f64, f64); 5] {
        let corners = match dir {
            Direction::Higher => [
                (self.lo, 0.0),
                (threshold, 0.0),
                (target, 100.0),
                (stretch, 120.0),
                (self.hi, 120.0),
            ],
            Direction::Lower => [
                (self.lo, 120.0),
                (stretch, 120.0),
                (target, 100.0),
                (threshold, 0.0),
                (self.hi, 0.0),
            ],
        };
        corners.map(|(v, s)| (self.x(v), self.y(s)))
    }
}

/// One heatmap cell at (`x`, `y`): coloured by its value and printing it, or grey with
/// `null_tip`; its tooltip is `label: value`.
pub(super) fn heat_cell(
    out: &mut String,
    x: f64,
    y: f64,
    (cw, ch): (f64, f64),
    value: Option<f64>,
    label: &str,
    null_tip: &str,
) {
    let (fill, ink, text, tip_text) = match value {
        Some(v) => {
            let fill = heat(v);
            let ink = if luminance(&fill) < 128.0 {
                "#FFFFFF"
            } else {
                INK
            };
            (fill, ink, format::num(v, 1), format::num(v, 1))
        }
        None => (
            NULL_FILL.to_string(),
            MUTED,
            "–".to_string(),
            null_tip.to_string(),
        ),
    };
    let tip = tip(&format!("{label}: {tip_text}"));
    let _ = write!(
        out,
        r#"<g class="cell">{tip}<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="{WHITE}"/><text x="{}" y="{}" text-anchor="middle" fill="{ink}">{}</text></g>"#,
        c(x),
        c(y),
        c(cw),
        c(ch),
        c(x + cw / 2.0),
        c(y + ch / 2.0 + 4.0),
        escape(&text)
    );
}

/// The heatmap's colour key from (`lx`, `ly`): swatches of 40 to 120, and the null swatch with
/// its words when a cell is null.
pub(super) fn heat_legend(out: &mut String, mut lx: f64, ly: f64, null_tip: Option<&str>) {
    for v in [40.0, 70.0, 85.0, 100.0, 110.0, 120.0] {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="30.0" height="10.0" fill="{}"/><text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{}</text>"#,
            c(lx),
            c(ly),
            heat(v),
            c(lx + 15.0),
            c(ly + 24.0),
            format::num(v, 0)
        );
        lx += 34.0;
    }
    if let Some(words) = null_tip {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="30.0" height="10.0" fill="{NULL_FILL}"/><text x="{}" y="{}" fill="{MUTED}">{}</text>"#,
            c(lx + 6.0),
            c(ly),
            c(lx + 40.0),
            c(ly + 9.0),
            escape(words)
        );
    }
}
