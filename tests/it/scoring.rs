//! Scores on the hand-computed `scoring` fixture (the worked example with plans, targets at
//! every level, an appeal, a plan change and a role with no plan). Every expected value is
//! worked out in tests/fixtures/scoring/README.md.

use factorscore::run::{RunOptions, Scorecards};
use factorscore::scoring::RowScore;

use crate::common::fixture;

fn close(got: Option<f64>, want: f64, what: &str) {
    let g = got.unwrap_or_else(|| panic!("{what}: got null, want {want}"));
    assert!((g - want).abs() <= 1e-9, "{what}: got {g:?}, want {want:?}");
}

struct Run {
    plan: factorscore::config::Plan,
    loaded: factorscore::run::Loaded,
}

fn load(opts: &RunOptions) -> (Run, factorscore::metrics::Window) {
    let plan = factorscore::config::load(&fixture("scoring/pipeline.yaml")).expect("pipeline");
    let loaded = factorscore::run::load(&plan).expect("input");
    let window = factorscore::run::window(&plan, &loaded.ledger, opts).expect("window");
    (Run { plan, loaded }, window)
}

impl Run {
    fn score(&self, w: factorscore::metrics::Window) -> Scorecards<'_> {
        factorscore::run::score_window(&self.plan, &self.loaded, w).expect("scores")
    }
}

/// The row of employee `id` in period `label`.
fn row<'a>(r: &Run, sc: &'a Scorecards, id: &str, label: &str) -> &'a RowScore {
    let e = r.loaded.ledger.employees.ids.get(id).expect("employee");
    let w = sc.facts.window;
    let k = w
        .index_of_period(w.cal.parse_label(label).unwrap())
        .expect("period");
    let i = sc.cards[k]
        .iter()
        .position(|c| c.employee == e)
        .expect("scorecard row");
    &sc.scored.rows[k][i]
}

/// The threshold, target and stretch a KPI was scored against.
fn bounds(k: &factorscore::scoring::KpiScore) -> (f64, f64, f64) {
    (k.target.threshold, k.target.target, k.target.stretch)
}

fn kpi<'a>(r: &Run, s: &'a RowScore, metric: &str) -> &'a factorscore::scoring::KpiScore {
    let plan = &r.plan.plans[s.plan.expect("rated")];
    s.kpis
        .iter()
        .find(|k| r.plan.catalogue.name(plan.kpis[k.kpi].metric) == metric)
        .expect("kpi")
}

#[test]
fn targets_cascade_appeals_and_renormalised_composites() {
    let (r, w) = load(&RunOptions::default());
    let sc = r.score(w);

    // E1, January: plan am-collections. Each KPI's target comes from another level.
    let e1 = row(&r, &sc, "E1", "2024-01");
    assert_eq!(r.plan.plans[e1.plan.unwrap()].name, "am-collections");
    let crr = kpi(&r, e1, "cash_recovery_rate");
    assert_eq!(crr.target.source.name(), "employee");
    assert_eq!(bounds(crr), (0.6, 0.85, 0.95));
    close(crr.score, 100.0, "E1 crr at its target");
    let od = kpi(&r, e1, "overdue_rate");
    assert_eq!(od.target.source.name(), "department");
    // The department row leaves the stretch out: the plan's 0.05 fills it.
    assert_eq!(bounds(od), (0.35, 0.15, 0.05));
    close(
        od.score,
        106.11797719266822,
        "E1 overdue_rate, lower is better, past target",
    );
    let fee = kpi(&r, e1, "fee_income");
    assert_eq!(fee.target.source.name(), "department_role");
    assert_eq!(bounds(fee), (0.0, 15.0, 30.0));
    close(fee.score, 106.66666666666667, "E1 fee_income");
    close(e1.composite, 103.16872649113381, "E1 composite");
    assert_eq!(e1.grade_name.as_deref(), Some("A"));
    assert_eq!(e1.bonus, 3_000_000, "20000.00 x 1.5");
    close(e1.percentile, 1.0, "E1 percentile among account managers");
    close(e1.zscore, std::f64::consts::FRAC_1_SQRT_2, "E1 z-score");
    assert!(!e1.review_flag, "no previous composite, no appeal");

    // E3, January: only fee_income has an actual, so it carries the whole weight; the appeal
    // lifts it from 8.55 (score 71.25, grade C) to 12.00 at the role target (100, grade A).
    let e3 = row(&r, &sc, "E3", "2024-01");
    let fee = kpi(&r, e3, "fee_income");
    assert_eq!(fee.raw_actual, Some(8.55));
    assert_eq!(fee.actual, Some(12.0));
    assert!(fee.adjustment.is_some());
    assert_eq!(fee.target.source.name(), "role");
    close(fee.score, 100.0, "E3 appealed fee_income");
    assert_eq!(fee.effective_weight, 1.0);
    let crr = kpi(&r, e3, "cash_recovery_rate");
    assert_eq!(
        (crr.score, crr.effective_weight, crr.weighted_score),
        (None, 0.0, 0.0)
    );
    assert_eq!(
        crr.target.source.name(),
        "company",
        "the company row, threshold and stretch from the plan"
    );
    assert_eq!(bounds(crr), (0.5, 0.75, 0.9));
    close(e3.composite, 100.0, "E3 composite");
    assert_eq!(e3.grade_name.as_deref(), Some("A"));
    assert_eq!(e3.bonus, 2_700_000, "18000.00 x 1.5");
    assert!(e3.review_flag, "an appeal flags the row");
    close(e3.percentile, 0.0, "E3 percentile");
    close(e3.zscore, -std::f64::consts::FRAC_1_SQRT_2, "E3 z-score");

    // E2, January: sales, hired on the 15th: 17 of 31 days.
    let e2 = row(&r, &sc, "E2", "2024-01");
    close(
        kpi(&r, e2, "funded_volume").score,
        104.0,
        "E2 funded_volume",
    );
    close(
        kpi(&r, e2, "approval_rate").score,
        120.0,
        "E2 approval_rate at the stretch",
    );
    assert_eq!(kpi(&r, e2, "approval_rate").target.source.name(), "plan");
    close(e2.composite, 110.4, "E2 composite");
    assert_eq!(e2.grade_name.as_deref(), Some("S"));
    assert_eq!(
        e2.bonus, 1_645_161,
        "15000.00 x 2.0 x 17/31 = 16451.6129 -> 16451.61"
    );
    assert_eq!(
        (e2.percentile, e2.zscore),
        (None, None),
        "alone in East/sales"
    );

    // February: account managers move to am-losses; E2 drops to 0 and is flagged.
    let e1 = row(&r, &sc, "E1", "2024-02");
    assert_eq!(r.plan.plans[e1.plan.unwrap()].name, "am-losses");
    close(
        kpi(&r, e1, "bad_debt_rate").score,
        48.671873346455854,
        "E1 bad_debt_rate",
    );
    let cei = kpi(&r, e1, "collection_effectiveness");
    close(cei.score, 16.66666666666666, "E1 CEI");
    assert_eq!(
        cei.target.source.name(),
        "plan",
        "the 2024-Q1 row is ignored by a month run"
    );
    close(e1.composite, 35.86979067454018, "E1 February composite");
    assert_eq!(e1.grade_name.as_deref(), Some("D"));
    assert_eq!(e1.bonus, 0);
    close(e1.previous, 103.16872649113381, "E1 previous composite");
    assert!(e1.review_flag, "a swing of 67.3 >= 25");
    let e2 = row(&r, &sc, "E2", "2024-02");
    close(e2.composite, 0.0, "E2 February");
    assert_eq!(e2.grade_name.as_deref(), Some("D"));
    assert!(e2.review_flag, "a swing of 110.4 >= 20");
    // E3 is rated in February, but neither KPI has an actual: no composite, no bonus, no flag.
    let e3 = row(&r, &sc, "E3", "2024-02");
    assert!(e3.plan.is_some());
    assert_eq!(
        (e3.composite, e3.grade, e3.bonus, e3.review_flag),
        (None, None, 0, false)
    );
    assert!(e3
        .kpis
        .iter()
        .all(|k| k.score.is_none() && k.effective_weight == 0.0));

    // E4's role has no plan: not rated, in both months.
    let e4 = row(&r, &sc, "E4", "2024-01");
    assert_eq!(
        (e4.plan, e4.composite, e4.bonus, e4.review_flag),
        (None, None, 0, false)
    );
    assert_eq!(sc.scored.not_rated.get("analyst"), Some(&2));
    assert_eq!(sc.scored.not_rated.len(), 1);
}

#[test]
fn a_one_period_run_flags_a_swing_from_the_period_before_its_window() {
    let opts = RunOptions {
        period: Some("2024-02".into()),
        ..RunOptions::default()
    };
    let (r, w) = load(&opts);
    assert_eq!(
        (w.first, w.last),
        (w.last, w.cal.parse_label("2024-02").unwrap())
    );
    let sc = r.score(w);
    let e2 = row(&r, &sc, "E2", "2024-02");
    close(
        e2.previous,
        110.4,
        "January is scored although outside the window",
    );
    assert!(e2.review_flag);
}

#[test]
fn a_quarter_run_uses_quarter_targets_only() {
    let opts = RunOptions {
        grain: Some(factorscore::periods::Grain::Quarter),
        period: Some("2024-Q1".into()),
        ..RunOptions::default()
    };
    let (r, w) = load(&opts);
    let sc = r.score(w);
    // pe = 2024-03-31: account managers are on am-losses, sales on sales. The 2024-Q1
    // company row gives CEI its target; the month rows are ignored.
    let e1 = row(&r, &sc, "E1", "2024-Q1");
    let cei = kpi(&r, e1, "collection_effectiveness");
    assert_eq!(cei.target.source.name(), "company");
    assert_eq!(bounds(cei), (0.1, 0.4, 0.9));
    let a = cei.actual.expect("E1 has a quarter CEI");
    let want = if a < 0.4 {
        100.0 * (a - 0.1) / 0.3
    } else {
        100.0 + 20.0 * (a - 0.4) / 0.5
    };
    close(
        cei.score,
        want.max(0.0),
        "E1 quarter CEI against the quarter target",
    );
    let e2 = row(&r, &sc, "E2", "2024-Q1");
    assert_eq!(kpi(&r, e2, "funded_volume").target.source.name(), "plan");
    // E2: funded 240.00 in the quarter, approval 1 of 2 decided.
    close(
        kpi(&r, e2, "approval_rate").actual,
        0.5,
        "E2 quarter approval_rate",
    );
    close(kpi(&r, e2, "approval_rate").score, 0.0, "at the threshold");
    close(e2.composite, 62.4, "0.6 x 104");
    assert_eq!(e2.grade_name.as_deref(), Some("D"));
    // 15000.00 x 3 months x 0 = 0; E3's quarter: no actuals.
    assert_eq!(e2.bonus, 0);
}

#[test]
fn a_rollup_ratio_is_the_ratio_of_the_summed_parts() {
    let (r, w) = load(&RunOptions::default());
    let sc = r.score(w);
    let k = sc.facts.window.len() - 1; // 2024-02
    let inputs = factorscore::rollups::Inputs {
        cat: &r.plan.catalogue,
        f: &sc.facts,
        cards: &sc.cards,
        custom_groups: &sc.custom_groups,
    };
    let df = factorscore::rollups::frame(&inputs, &mut Default::default(), k, &sc.scored.rows[k])
        .unwrap();
    let text = |c: &str| -> Vec<String> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect()
    };
    assert_eq!(
        text("level"),
        ["company", "department", "department", "team", "team"]
    );
    assert_eq!(
        text("key"),
        ["company", "East", "South", "East-1", "South-1"]
    );
    let int = |c: &str| -> Vec<i64> {
        df.column(c)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    };
    assert_eq!(int("employees"), [4, 2, 2, 2, 2]);
    assert_eq!(int("rated"), [3, 2, 1, 2, 1]);
    let crr = df.column("cash_recovery_rate").unwrap().f64().unwrap();
    // E1 collected 0 of a collectible 1800.00 (rate 0); UNASSIGNED collected I5's 300.00 of
    // 300.00 (rate 1). The company's rate is 300 / 2100, not the mean 0.5 of the two rates.
    let e1 = r.loaded.ledger.employees.ids.get("E1").unwrap();
    let metric = factorscore::catalogue::Builtin::by_name("cash_recovery_rate").unwrap();
    let cr = |e: u32| factorscore::metrics::registry::value(metric, &sc.facts.ctx(e, k));
    assert_eq!(cr(e1).as_f64(), Some(0.0));
    assert_eq!(cr(sc.facts.unassigned()).as_f64(), Some(1.0));
    assert_eq!(crr.get(0), Some(300.0 / 2100.0));
    // East holds E1 (0 of 1800.00) and E2 (nothing collectible): 0, where E2's rate is null.
    assert_eq!(crr.get(1), Some(0.0));
    // South: E3 and E4 hold nothing collectible in February.
    assert_eq!(crr.get(2), None);
    let cash = df
        .column("cash_collected")
        .unwrap()
        .decimal()
        .unwrap()
        .physical()
        .get(0);
    assert_eq!(
        cash,
        Some(35_000),
        "the ledger's February collections, 350.00"
    );
}
