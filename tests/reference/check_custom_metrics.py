#!/usr/bin/env python3
"""Checks the DuckDB SQL reference (bench/reference.py) against the hand-computed values of
tests/fixtures/custom_metrics (its README.md works every figure out): the approval-quality metrics
of contract section 3, custom metrics of 3.1 of every agg kind and table, their rollups (section 4),
and plans that score them (section 5).

Usage: check_custom_metrics.py   (exit 0 when every value agrees; prints each disagreement)
Needs duckdb and pyyaml (scripts/install-test-deps.sh).
"""
import decimal
import os
import subprocess
import sys
import tempfile

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "custom_metrics")
D = decimal.Decimal
NULL = None

# Custom metric columns, in the order the pipeline declares them.
CUSTOM = ["nonrecourse_cash", "collection_count", "distinct_debtors", "avg_fee", "max_cny_write_off", "min_face",
          "median_requested", "p75_customer_review", "late_balance", "cash_growth", "fee_yield", "growth_capped",
          "fee_yield_or_zero", "cash_swing", "days_late_count", "very_late_cash", "apps_since_feb", "decided_in_window",
          "funded_from_nine", "bought_from_feb_10", "round_cash_count", "big_nonrecourse_count"]
NEW_BUILTINS = ["decisions_made", "decision_time_median_hours", "approved_matured_face", "approved_defaulted",
                "approved_default_rate"]
TYPES = {
    "decisions_made": "BIGINT", "decision_time_median_hours": "DOUBLE", "approved_matured_face": "DECIMAL(38,2)",
    "approved_defaulted": "DECIMAL(38,2)", "approved_default_rate": "DOUBLE",
    "nonrecourse_cash": "DECIMAL(38,2)", "collection_count": "BIGINT", "distinct_debtors": "BIGINT",
    "avg_fee": "DOUBLE", "max_cny_write_off": "DECIMAL(38,2)", "min_face": "DECIMAL(38,2)",
    "median_requested": "DOUBLE", "p75_customer_review": "DOUBLE", "late_balance": "DECIMAL(38,2)",
    "cash_growth": "DOUBLE", "fee_yield": "DOUBLE", "growth_capped": "DOUBLE", "fee_yield_or_zero": "DOUBLE",
    "cash_swing": "DOUBLE", "days_late_count": "BIGINT", "very_late_cash": "DECIMAL(38,2)", "apps_since_feb": "BIGINT",
    "decided_in_window": "BIGINT", "funded_from_nine": "BIGINT", "bought_from_feb_10": "BIGINT",
    "round_cash_count": "BIGINT", "big_nonrecourse_count": "BIGINT",
}

# Per scorecard row (period, employee): the expected values (money as exact decimals).
SCORECARDS = {
    ("2024-02", "E1"): dict(
        days_late_count=1, very_late_cash=D("0.00"), apps_since_feb=2, decided_in_window=0, funded_from_nine=0,
        bought_from_feb_10=1, round_cash_count=1, big_nonrecourse_count=0,
        decisions_made=0, decision_time_median_hours=NULL, approved_matured_face=D("0.00"),
        approved_defaulted=D("0.00"), approved_default_rate=NULL,
        nonrecourse_cash=D("0.00"), collection_count=2, distinct_debtors=2, avg_fee=20.0,
        max_cny_write_off=NULL, min_face=D("1000.00"), median_requested=1000.0, p75_customer_review=85.0,
        late_balance=D("3000.00"), par60=D("3000.00"), cash_growth=3000 / 1000 - 1, fee_yield=40 / 800,
        growth_capped=1.0, fee_yield_or_zero=0.05, cash_swing=2000.0,
        composite_score=50.0, grade="D", review_flag=True, bonus=D("0.00")),
    ("2024-02", "E2"): dict(
        days_late_count=1, very_late_cash=D("2137.04"), apps_since_feb=1, decided_in_window=1, funded_from_nine=1,
        bought_from_feb_10=0, round_cash_count=1, big_nonrecourse_count=1,
        decisions_made=0, approved_matured_face=D("0.00"),
        nonrecourse_cash=D("2137.04"), collection_count=1, distinct_debtors=1, avg_fee=60.0,
        max_cny_write_off=D("4000.00"), min_face=D("3000.00"), median_requested=3000.0, p75_customer_review=75.0,
        late_balance=D("1424.69"), par60=D("1424.69"), cash_growth=2137.04 / 3561.73 - 1, fee_yield=60 / 2400,
        growth_capped=2137.04 / 3561.73 - 1, fee_yield_or_zero=0.025, cash_swing=3561.73 - 2137.04,
        composite_score=76.3704, grade="C", review_flag=False, bonus=D("9000.00")),
    ("2024-02", "E3"): dict(
        decisions_made=1, decision_time_median_hours=36.0, approved_matured_face=D("0.00"),
        approved_defaulted=D("0.00"), approved_default_rate=NULL,
        nonrecourse_cash=D("0.00"), collection_count=0, distinct_debtors=0, avg_fee=NULL, max_cny_write_off=NULL,
        min_face=NULL, median_requested=NULL, p75_customer_review=NULL, late_balance=D("0.00"),
        cash_growth=NULL, fee_yield=NULL, growth_capped=NULL, fee_yield_or_zero=0.0, cash_swing=0.0,
        composite_score=100.0, grade="A", review_flag=False, bonus=D("17068.97")),
    ("2024-02", "E4"): dict(
        decisions_made=1, decision_time_median_hours=50.0, approved_matured_face=D("7123.46"),
        approved_defaulted=D("3561.73"), approved_default_rate=0.5,
        cash_growth=NULL, growth_capped=NULL,
        composite_score=0.5 * 75 + 0.5 * 100 * 22 / 36, grade="D", review_flag=False, bonus=D("0.00")),
    ("2024-03", "E1"): dict(
        days_late_count=0, very_late_cash=D("0.00"), apps_since_feb=0, bought_from_feb_10=1, round_cash_count=1,
        big_nonrecourse_count=0,
        nonrecourse_cash=D("0.00"), collection_count=1, distinct_debtors=2, avg_fee=30.0, max_cny_write_off=NULL,
        min_face=D("1500.00"), median_requested=NULL, p75_customer_review=60.0, late_balance=D("3000.00"),
        cash_growth=1000 / 3000 - 1, fee_yield=30 / 1200, growth_capped=1000 / 3000 - 1, cash_swing=2000.0,
        composite_score=50.0, grade="D", review_flag=False),
    ("2024-03", "E2"): dict(
        days_late_count=0, apps_since_feb=2, decided_in_window=0, bought_from_feb_10=0, round_cash_count=1,
        big_nonrecourse_count=1,
        nonrecourse_cash=D("1000.00"), collection_count=2, distinct_debtors=1, avg_fee=-10.0,
        max_cny_write_off=NULL, min_face=NULL, median_requested=3650.0, p75_customer_review=NULL,
        late_balance=D("712.35"), par60=D("712.35"), cash_growth=1600 / 2137.04 - 1, fee_yield=NULL,
        growth_capped=1600 / 2137.04 - 1, fee_yield_or_zero=0.0, cash_swing=2137.04 - 1600,
        composite_score=50.0, grade="D", review_flag=True),
    ("2024-03", "E4"): dict(
        decisions_made=1, decision_time_median_hours=30.0, approved_matured_face=D("0.00"),
        approved_defaulted=D("0.00"), approved_default_rate=NULL,
        composite_score=110.0, grade="S", review_flag=True, bonus=D("42000.00")),
}
# No 2024-03 row for E3 (left on 2024-02-15): 7 rows in all.

COLLECT = {
    "2024-02": dict(
        days_late_count=2, very_late_cash=D("2137.04"), apps_since_feb=3, decided_in_window=1, funded_from_nine=1,
        bought_from_feb_10=1, round_cash_count=2, big_nonrecourse_count=1,
        employees=2, decisions_made=0, decision_time_median_hours=NULL, approved_default_rate=NULL,
        nonrecourse_cash=D("2137.04"), collection_count=3, distinct_debtors=2, avg_fee=100 / 3,
        max_cny_write_off=D("4000.00"), min_face=D("1000.00"), median_requested=2000.0, p75_customer_review=82.5,
        late_balance=D("4424.69"), cash_growth=5137.04 / 4561.73 - 1, fee_yield=100 / 3200,
        growth_capped=5137.04 / 4561.73 - 1, fee_yield_or_zero=100 / 3200, cash_swing=5137.04 - 4561.73),
    "2024-03": dict(
        days_late_count=0, very_late_cash=D("0.00"), apps_since_feb=2, decided_in_window=0, funded_from_nine=0,
        bought_from_feb_10=1, round_cash_count=2, big_nonrecourse_count=1,
        employees=2, nonrecourse_cash=D("1000.00"), collection_count=3, distinct_debtors=2, avg_fee=10.0,
        max_cny_write_off=NULL, min_face=D("1500.00"), median_requested=3650.0, p75_customer_review=60.0,
        late_balance=D("3712.35"), cash_growth=2600 / 5137.04 - 1, fee_yield=20 / 1200,
        growth_capped=2600 / 5137.04 - 1, cash_swing=5137.04 - 2600),
}
RISK = {
    "2024-02": dict(
        employees=2, decisions_made=2, decision_time_median_hours=43.0, approved_matured_face=D("7123.46"),
        approved_defaulted=D("3561.73"), approved_default_rate=0.5, nonrecourse_cash=D("0.00"), collection_count=0,
        distinct_debtors=0, avg_fee=NULL, min_face=NULL, cash_growth=NULL, growth_capped=NULL, fee_yield=NULL,
        fee_yield_or_zero=0.0, cash_swing=0.0),
    "2024-03": dict(
        employees=1, decisions_made=1, decision_time_median_hours=30.0, approved_matured_face=D("0.00"),
        approved_defaulted=D("0.00"), approved_default_rate=NULL),
}
ROLLUPS = {}
for period in ("2024-02", "2024-03"):
    ROLLUPS[(period, "team", "Collect")] = COLLECT[period]
    ROLLUPS[(period, "department", "Operations")] = COLLECT[period]
    ROLLUPS[(period, "team", "Risk")] = RISK[period]
    ROLLUPS[(period, "department", "Credit")] = RISK[period]
# The company holds every entity's facts: the account managers' and the risk officers', and in
# March E3's matured invoice I3 (she left in February).
ROLLUPS[("2024-02", "company", "company")] = dict(
    COLLECT["2024-02"], employees=4, decisions_made=2, decision_time_median_hours=43.0,
    approved_matured_face=D("7123.46"), approved_defaulted=D("3561.73"), approved_default_rate=0.5)
ROLLUPS[("2024-03", "company", "company")] = dict(
    COLLECT["2024-03"], employees=3, decisions_made=1, decision_time_median_hours=30.0,
    approved_matured_face=D("5000.00"), approved_defaulted=D("4000.00"), approved_default_rate=0.8)

# kpi_scores (period, employee, metric): raw actual and score.
KPIS = {
    ("2024-02", "E1", "nonrecourse_cash"): (0.0, 0.0),
    ("2024-02", "E1", "distinct_debtors"): (2.0, 100.0),
    ("2024-02", "E2", "nonrecourse_cash"): (2137.04, 100 + 20 * 137.04 / 1000),
    ("2024-02", "E2", "distinct_debtors"): (1.0, 50.0),
    ("2024-02", "E3", "approved_default_rate"): (NULL, NULL),
    ("2024-02", "E3", "decision_time_median_hours"): (36.0, 100.0),
    ("2024-02", "E4", "approved_default_rate"): (0.5, 75.0),
    ("2024-02", "E4", "decision_time_median_hours"): (50.0, 100 * 22 / 36),
    ("2024-03", "E2", "nonrecourse_cash"): (1000.0, 50.0),
    ("2024-03", "E4", "decision_time_median_hours"): (30.0, 110.0),
}

# A quarter run (2024-Q1; lag reads 2023-Q4, outside the window).
QUARTER_SCORECARDS = {
    ("2024-Q1", "E1"): dict(cash_growth=5000 / 4000 - 1, growth_capped=0.25, distinct_debtors=2,
                            nonrecourse_cash=D("1000.00"), median_requested=1750.0),
    ("2024-Q1", "E2"): dict(cash_growth=NULL, nonrecourse_cash=D("6698.77"), avg_fee=(35.62 + 60 - 10) / 3),
    ("2024-Q1", "E3"): dict(decisions_made=3, decision_time_median_hours=36.0, approved_matured_face=D("5000.00"),
                            approved_defaulted=D("4000.00"), approved_default_rate=0.8),
    ("2024-Q1", "E4"): dict(decisions_made=3, decision_time_median_hours=30.0, approved_matured_face=D("17123.46"),
                            approved_defaulted=D("9561.73"), approved_default_rate=9561.73 / 17123.46),
}
QUARTER_ROLLUPS = {
    ("2024-Q1", "team", "Collect"): dict(distinct_debtors=2, cash_growth=12298.77 / 4000 - 1, growth_capped=1.0),
    ("2024-Q1", "team", "Risk"): dict(decisions_made=6, decision_time_median_hours=33.0,
                                      approved_default_rate=13561.73 / 22123.46),
}


def run_reference(out, first, last, grain):
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "reference.py"), os.path.join(FIXTURE, "input"),
                    "csv", first, last, out, "--pipeline", os.path.join(FIXTURE, "pipeline.yaml"), "--grain", grain],
                   check=True)


def same(got, want):
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, float):
        return isinstance(got, float) and abs(got - want) <= 1e-12 * max(abs(want), 1.0)
    return type(got) is type(want) and got == want


def check_rows(con, table, keys, expected, problems):
    rows = {}
    cur = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    for r in cur.fetchall():
        rec = dict(zip(names, r))
        rows[tuple(rec[k] for k in keys)] = rec
    for key, want in expected.items():
        got = rows.get(key)
        if got is None:
            problems.append(f"{table}: no row {key}")
            continue
        for col, w in want.items():
            if not same(got[col], w):
                problems.append(f"{table} {key} {col}: got {got[col]!r}, want {w!r}")
    return rows


def load(con, out):
    for t in ("scorecards", "kpi_scores", "rollups"):
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{out}/{t}/**/*.parquet', "
                    f"hive_partitioning = true, hive_types_autocast = false)")


def check_columns(con, problems):
    for table, last in (("scorecards", "composite_score"), ("rollups", None)):
        cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
        names = [c[0] for c in cols if c[0] not in ("grain", "period")]
        at = names.index("manager_review") + 1
        want = NEW_BUILTINS + CUSTOM + ([last] if last else [])
        if names[at:at + len(want)] != want:
            problems.append(f"{table}: columns after manager_review are {names[at:at + len(want)]}, want {want}")
        for name, typ in cols:
            if name in TYPES and TYPES[name] != typ:
                problems.append(f"{table}.{name}: type {typ}, want {TYPES[name]}")


def main():
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect()
        month = os.path.join(tmp, "month")
        run_reference(month, "2024-02", "2024-03", "month")
        load(con, month)
        check_columns(con, problems)
        cards = check_rows(con, "scorecards", ["period", "employee_id"], SCORECARDS, problems)
        if len(cards) != 7:
            problems.append(f"scorecards: {len(cards)} rows, want 7 (E1, E2, E3, E4 in February; E3 has left in March)")
        check_rows(con, "rollups", ["period", "level", "key"], ROLLUPS, problems)
        kpis = {k: dict(raw_actual=v[0], score=v[1]) for k, v in KPIS.items()}
        check_rows(con, "kpi_scores", ["period", "employee_id", "metric"], kpis, problems)
        quarter = os.path.join(tmp, "quarter")
        run_reference(quarter, "2024-Q1", "2024-Q1", "quarter")
        load(con, quarter)
        check_rows(con, "scorecards", ["period", "employee_id"], QUARTER_SCORECARDS, problems)
        check_rows(con, "rollups", ["period", "level", "key"], QUARTER_ROLLUPS, problems)
    for p in problems:
        print(p)
    print(f"custom metrics fixture: {'all values agree' if not problems else f'{len(problems)} problems'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
