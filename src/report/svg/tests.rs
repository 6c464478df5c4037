//! Tests of the charts.

use super::draw::*;
use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn titles(svg: &str) -> usize {
    svg.matches("<title>").count()
}

/// Every tag closes in order and nothing but tags holds a `<`.
fn well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("a tag ends") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "in {svg}");
        } else if !tag.ends_with('/') {
            stack.push(tag.split(' ').next().unwrap_or_default().to_string());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "{stack:?} left open");
}

fn trend() -> (Vec<String>, Vec<Series>) {
    let x = s(&["2026-10", "2026-11", "2026-12"]);
    let series = vec![
        Series {
            name: "Company".into(),
            values: vec![Some(0.91), Some(0.935), Some(0.96)],
        },
        Series {
            name: "Dept <A&B>".into(),
            values: vec![Some(0.88), None, Some(f64::NAN)],
        },
    ];
    (x, series)
}

fn all_charts() -> Vec<String> {
    let (x, series) = trend();
    vec![
        line_chart(
            "Cash recovery",
            &x,
            &series,
            Unit::Ratio,
            "n/a: no collectible balance",
        ),
        stacked_bars(
            "Grades",
            &s(&["Sales", "Ops"]),
            &s(&["S", "A", "not rated"]),
            &[vec![1, 0], vec![12, 3], vec![2]],
        ),
        heatmap(
            "Teams",
            &s(&["North", "South"]),
            &s(&["cash_recovery_rate", "par30_rate", "x"]),
            &[
                vec![Some(64.25), Some(100.0), None],
                vec![Some(120.0), Some(f64::INFINITY)],
            ],
            "n/a",
        ),
        score_curve(
            "PAR30",
            false,
            0.10,
            0.05,
            0.02,
            Some(0.035),
            Some(110.0),
            Unit::Ratio,
            ["threshold", "target", "stretch"],
        ),
        score_curve(
            "Recovery",
            true,
            0.7,
            0.9,
            0.98,
            Some(0.5),
            None,
            Unit::Ratio,
            ["threshold", "target", "stretch"],
        ),
        strip(
            "Calibration",
            &[80.0, 95.5, 101.2, 120.0, -0.01],
            Some(101.2),
            "percentile 83.3%, z 1.20",
        ),
    ]
}

#[test]
fn the_same_input_gives_the_same_bytes_and_well_formed_svg() {
    let (first, second) = (all_charts(), all_charts());
    assert_eq!(first, second);
    for svg in &first {
        well_formed(svg);
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#));
        assert!(svg.contains(r#"role="img" class="chart" aria-label=""#));
        assert!(svg.contains(r#"font-family="system-ui, sans-serif""#));
    }
}

#[test]
fn one_title_per_data_point_and_one_for_the_chart() {
    let c = all_charts();
    assert_eq!(titles(&c[0]), 2 * 3 + 1);
    assert_eq!(titles(&c[1]), 3 * 2 + 1);
    assert_eq!(titles(&c[2]), 2 * 3 + 1);
    assert_eq!(titles(&c[3]), 3 + 1 + 1, "three marks and the actual");
    assert_eq!(titles(&c[5]), 5 + 1 + 1, "five dots and the highlight");
    assert!(c[1].contains("<title>Sales · A: 12 (80.0%)</title>"));
    assert!(c[1].contains("<title>Ops · not rated: 0 (0.0%)</title>"));
    assert!(c[2].contains("<title>North · cash_recovery_rate: 64.3</title>"));
    assert!(c[3].contains("<title>3.5% → 110.0</title>"));
}

#[test]
fn nulls_nans_and_short_rows_carry_the_callers_tooltip() {
    let c = all_charts();
    assert_eq!(c[0].matches("n/a: no collectible balance").count(), 2);
    assert!(
        c[0].contains("<title>Dept &lt;A&amp;B&gt; · 2026-11: n/a: no collectible balance</title>")
    );
    // NaN and a missing cell and infinity: three grey cells.
    assert_eq!(
        c[2].matches(&format!(r#"fill="{NULL_FILL}" stroke"#))
            .count(),
        3
    );
    assert!(c[2].contains("<title>South · par30_rate: n/a</title>"));
    assert!(!c
        .iter()
        .any(|svg| svg.contains("NaN") || svg.contains("inf")));
}

#[test]
fn labels_are_escaped_and_nothing_points_outside() {
    let x = s(&["<&>"]);
    let series = vec![Series {
        name: "\"a\" & 'b'".into(),
        values: vec![Some(1.0)],
    }];
    let svg = line_chart("<script>&</script>", &x, &series, Unit::Count, "<null>");
    well_formed(&svg);
    assert!(!svg.contains("<&>") && !svg.contains("<script>") && !svg.contains("<null>"));
    assert!(svg.contains("&lt;&amp;&gt;") && svg.contains("&quot;a&quot; &amp; &#39;b&#39;"));
    for svg in all_charts().iter().chain([&svg]) {
        assert_eq!(svg.matches("http").count(), 1, "only the xmlns");
        assert!(!svg.contains("href") && !svg.contains("url(") && !svg.contains("@import"));
        assert!(!svg.contains("-0.0"), "{svg}");
    }
}

#[test]
fn no_negative_zero_even_around_zero() {
    let x = s(&["a", "b", "c"]);
    let series = vec![Series {
        name: "s".into(),
        values: vec![Some(-0.0), Some(-1e-12), Some(0.0)],
    }];
    for unit in [
        Unit::Ratio,
        Unit::Money,
        Unit::Count,
        Unit::Score,
        Unit::Plain,
    ] {
        let svg = line_chart("t", &x, &series, unit, "-");
        assert!(
            !svg.contains("-0.0") && !svg.contains("-0<") && !svg.contains("-0%"),
            "{svg}"
        );
    }
    let svg = score_curve(
        "t",
        true,
        -1.0,
        0.0,
        1.0,
        Some(-0.0),
        None,
        Unit::Plain,
        ["a", "b", "c"],
    );
    assert!(!svg.contains("-0.0"), "{svg}");
    assert_eq!(c(-0.04), "0.0");
    assert_eq!(c(-0.05), "-0.1");
    assert_eq!(c(f64::NAN), "0.0");
}

#[test]
fn the_curve_runs_through_threshold_target_and_stretch_in_both_directions() {
    for (dir, higher, th, ta, st) in [
        (Direction::Higher, true, 0.7, 0.9, 0.98),
        (Direction::Lower, false, 10.0, 5.0, 2.0),
    ] {
        let g = CurveFrame::new(dir, th, ta, st).expect("ordered");
        let svg = score_curve(
            "t",
            higher,
            th,
            ta,
            st,
            None,
            None,
            Unit::Plain,
            ["a", "b", "c"],
        );
        let line = svg
            .split("<polyline points=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .expect("a polyline");
        for (v, score) in [(th, 0.0), (ta, 100.0), (st, 120.0)] {
            assert_eq!(curve::score(dir, v, th, ta, st).0, score);
            let point = format!("{},{}", c(g.x(v)), c(g.y(score)));
            assert!(line.split(' ').any(|p| p == point), "{point} not in {line}");
        }
        // The corners are drawn left to right and the flat ends sit at 0 and 120.
        let xs: Vec<f64> = g.points(dir, th, ta, st).iter().map(|p| p.0).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(c(g.x(g.lo)), c(g.l));
        assert_eq!(c(g.x(g.hi)), c(g.r));
    }
}

#[test]
fn an_actual_off_the_range_is_clamped_and_says_so() {
    let svg = score_curve(
        "t",
        true,
        0.7,
        0.9,
        0.98,
        Some(1.5),
        Some(120.0),
        Unit::Ratio,
        ["a", "b", "c"],
    );
    assert!(
        svg.contains("<title>150.0% (&gt; 102.2%) → 120.0</title>"),
        "{svg}"
    );
    let g = CurveFrame::new(Direction::Higher, 0.7, 0.9, 0.98).expect("ordered");
    assert!(svg.contains(&format!(
        r#"<circle cx="{}" cy="{}""#,
        c(g.r),
        c(g.y(120.0))
    )));
    let svg = score_curve(
        "t",
        false,
        10.0,
        5.0,
        2.0,
        Some(-3.0),
        None,
        Unit::Count,
        ["a", "b", "c"],
    );
    assert!(svg.contains("<title>-3 (&lt; 1) → 120.0</title>"), "{svg}");
    // The score is the curve's when the caller gives none.
    let svg = score_curve(
        "t",
        true,
        0.7,
        0.9,
        0.98,
        Some(0.8),
        None,
        Unit::Ratio,
        ["a", "b", "c"],
    );
    assert!(svg.contains("<title>80.0% → 50.0</title>"), "{svg}");
}

#[test]
fn degenerate_targets_give_a_note_not_a_curve() {
    for (th, ta, st) in [
        (1.0, 1.0, 1.0),
        (f64::NAN, 1.0, 2.0),
        (0.9, 0.7, 0.98),
        (0.0, 1.0, f64::INFINITY),
    ] {
        let svg = score_curve(
            "t",
            true,
            th,
            ta,
            st,
            Some(0.8),
            None,
            Unit::Ratio,
            ["lo", "mid", "hi"],
        );
        well_formed(&svg);
        assert!(
            !svg.contains("polyline") && svg.contains("lo: ") && svg.contains("hi: "),
            "{svg}"
        );
    }
}

#[test]
fn empty_inputs_draw_an_empty_frame() {
    for svg in [
        line_chart("t", &[], &[], Unit::Money, "-"),
        line_chart(
            "t",
            &s(&["a"]),
            &[Series {
                name: "s".into(),
                values: vec![],
            }],
            Unit::Money,
            "-",
        ),
        stacked_bars("t", &[], &[], &[]),
        stacked_bars("t", &s(&["a"]), &s(&["A"]), &[]),
        heatmap("t", &[], &[], &[], "-"),
        heatmap("t", &s(&["r"]), &[], &[], "-"),
        strip("t", &[], None, ""),
        strip("t", &[f64::NAN], Some(f64::INFINITY), "c"),
    ] {
        well_formed(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("-0.0"));
    }
    assert_eq!(
        titles(&line_chart(
            "t",
            &s(&["a"]),
            &[Series {
                name: "s".into(),
                values: vec![]
            }],
            Unit::Money,
            "-"
        )),
        2
    );
    assert_eq!(titles(&strip("t", &[], None, "")), 1);
}

#[test]
fn axes_get_four_to_six_round_ticks() {
    for (lo, hi) in [
        (0.0, 1.0),
        (0.91, 0.96),
        (0.0, 0.0),
        (5.0, 5.0),
        (-3.0, 1234.0),
        (1e6, 3.4e6),
        (-0.02, 0.0),
        (0.0, 120.0),
        (1e-9, 3e-9),
    ] {
        let axis = nice(lo, hi, false);
        let n = axis.ticks.len();
        assert!(
            (4..=6).contains(&n) || lo == hi,
            "{lo}..{hi}: {:?}",
            axis.ticks
        );
        assert!(
            axis.ticks[0] <= lo + 1e-12 && axis.ticks[n - 1] >= hi - 1e-12,
            "{lo}..{hi}: {:?}",
            axis.ticks
        );
        let labels = tick_labels(&axis, Unit::Plain);
        assert!(labels.windows(2).all(|w| w[0] != w[1]), "{labels:?}");
    }
    assert_eq!(
        tick_labels(&nice(0.91, 0.96, false), Unit::Ratio),
        ["91.0%", "92.0%", "93.0%", "94.0%", "95.0%", "96.0%"]
    );
    assert_eq!(
        tick_labels(&nice(0.0, 3.4e6, false), Unit::Money),
        ["0", "1M", "2M", "3M", "4M"]
    );
    assert_eq!(nice(0.0, 3.0, true).ticks, [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(nice(0.0, 1.0, true).ticks, [0.0, 1.0]);
    assert_eq!(
        tick_labels(&nice(1000.0, 1100.0, false), Unit::Plain),
        ["1,000", "1,020", "1,040", "1,060", "1,080", "1,100"]
    );
}

#[test]
fn heat_colours_follow_the_stops() {
    assert_eq!(heat(0.0), "#D55E00");
    assert_eq!(heat(40.0), "#D55E00");
    assert_eq!(heat(70.0), "#F4C3A0");
    assert_eq!(heat(100.0), "#F7F7F7");
    assert_eq!(heat(120.0), "#009E73");
    assert_eq!(heat(500.0), "#009E73");
    assert!(luminance(&heat(30.0)) < 128.0 && luminance(&heat(100.0)) > 128.0);
}

#[test]
fn show_by_unit() {
    assert_eq!(show(0.1234, Unit::Ratio), "12.3%");
    assert_eq!(show(1234.5, Unit::Money), "1,234.50");
    assert_eq!(show(12.0, Unit::Count), "12");
    assert_eq!(show(99.95, Unit::Score), "100.0");
    assert_eq!(show(-1.005, Unit::Plain), "-1.01");
    assert_eq!(show(f64::NAN, Unit::Score), "n/a");
}

#[test]
fn a_tiny_line_chart() {
    let x = s(&["2026-10", "2026-11", "2026-12"]);
    let series = vec![Series {
        name: "回收率".into(),
        values: vec![Some(0.9), Some(0.925), None],
    }];
    let svg = line_chart(
        "Trend &",
        &x,
        &series,
        Unit::Ratio,
        "n/a: no collectible balance",
    )
    .replace("><", ">\n<");
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!(svg);
    });
}

#[test]
fn a_large_group_is_a_histogram_of_bounded_size() {
    let values: Vec<f64> = (0..1000).map(|i| f64::from(i % 121)).collect();
    let out = strip("Group", &values, Some(87.5), "p 50.0%");
    // One bar per 5 points of 0..120 that holds a value, and only the highlighted dot.
    assert_eq!(out.matches("<rect").count(), 24);
    assert_eq!(out.matches("<circle").count(), 1);
    assert!(out.len() < 8_000, "{} bytes", out.len());
    // The counts are in the tooltips and add up to the group.
    let total: usize = out
        .match_indices(": ")
        .filter_map(|(i, _)| {
            let rest = &out[i + 2..];
            rest[..rest.find('<')?].parse::<usize>().ok()
        })
        .sum();
    assert_eq!(total, 1000);
    assert_eq!(out, strip("Group", &values, Some(87.5), "p 50.0%"));
    // Up to the limit, a dot each.
    let few = strip("Group", &values[..STRIP_DOTS], None, "");
    assert_eq!(few.matches("<circle").count(), STRIP_DOTS);
}
