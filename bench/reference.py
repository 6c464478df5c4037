#!/usr/bin/env python3
"""Runs the DuckDB SQL reference of the data contract on canonical input files: section 3 metrics
(bench/reference.sql), the pipeline's custom metrics of 3.1 (bench/reference_custom.py and .sql),
then section 5 scores and section 4 rollups (bench/reference_scores.sql).

Usage:
  reference.py DATA_DIR FORMAT FIRST LAST OUT [--pipeline PIPELINE.yaml] [--grain month|quarter]
               [--base CNY] [--tz Asia/Shanghai] [--threads N]

  DATA_DIR   folder holding the canonical tables as TABLE.csv or TABLE.parquet (canonical column
             names). targets and adjustments are optional; a targets file without a `department`
             column reads as all-null departments.
  FORMAT     csv or parquet.
  FIRST/LAST the first and last period written: `2026-10` (a month label given to a quarter run
             names the quarter holding it) or `2026-Q4`. The optional columns invoices.recourse,
             invoices.application_id and applications.decided_by may be missing (all null then).
  OUT        output folder. Written, each replaced whole (zstd Parquet, Hive-partitioned, the
             partition columns in the path only):
               OUT/scorecards/grain=G/period=P/*.parquet
               OUT/kpi_scores/grain=G/period=P/*.parquet
               OUT/rollups/grain=G/period=P/*.parquet
  --pipeline a factorscore pipeline file: its `plans` (contract 5.1) score the rows, its `metrics`
             (contract 3.1) add columns to scorecards and rollups after the section 3 metrics, and
             its base_currency, timezone and grain are the defaults of --base, --tz and --grain.
             Without it, or without `plans`, no row is rated.
  --grain    month (default) or quarter (calendar quarters only).

The period before FIRST is computed too (review_flag compares with it) but not written, and as many
periods before that as the custom metrics' `lag` chains reach back.
"""
import argparse
import datetime
import decimal
import os
import re
import sys
import time

import duckdb
import yaml

import reference_custom

TABLES = ["invoices", "collections", "write_offs", "fees", "applications", "assignments", "employees",
          "org_history", "fx_rates", "reviews"]
# Optional columns of section 1 that a file may lack (read as all null then), beyond the ones the
# reference reads from every file.
OPTIONAL_COLUMNS = {"invoices": ["recourse", "application_id"], "applications": ["decided_by"]}
OPTIONAL = {
    "targets": ["period", "metric", "target", "threshold", "stretch", "employee_id", "role", "department"],
    "adjustments": ["employee_id", "period", "metric", "value", "reason", "approved_by"],
}
DEFAULT_GRADES = [
    {"grade": "S", "min": 110, "bonus_multiplier": "2.0"},
    {"grade": "A", "min": 100, "bonus_multiplier": "1.5"},
    {"grade": "B", "min": 85, "bonus_multiplier": "1.0"},
    {"grade": "C", "min": 70, "bonus_multiplier": "0.5"},
    {"grade": "D", "bonus_multiplier": "0"},
]
CALIBRATION_COLUMNS = ["department", "team", "role", "manager_id"]
HERE = os.path.dirname(os.path.abspath(__file__))


class DecimalLoader(yaml.SafeLoader):
    """YAML floats as exact decimals, so a bonus multiplier of 0.1 stays 0.1."""


DecimalLoader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: decimal.Decimal(loader.construct_scalar(node).replace("_", "")))


def month_label(v):
    """A plan's valid_from / valid_to: `2024-01` (YAML may also give a date)."""
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.year, v.month
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(v))
    if not m:
        sys.exit(f"plan month {v!r} is not YYYY-MM")
    return int(m[1]), int(m[2])


def period_start(label, grain):
    """First day of the period named by label (`2026-10` or `2026-Q4`) for the grain."""
    m = re.fullmatch(r"(\d{4})-Q([1-4])", label)
    if m:
        if grain != "quarter":
            sys.exit(f"{label} is a quarter label; this is a {grain} run")
        return datetime.date(int(m[1]), 3 * int(m[2]) - 2, 1)
    y, mo = month_label(label)
    if grain == "quarter":
        mo = (mo - 1) // 3 * 3 + 1
    return datetime.date(y, mo, 1)


def add_months(d, n):
    k = d.year * 12 + d.month - 1 + n
    return datetime.date(k // 12, k % 12 + 1, 1)


def pool_cents(p):
    """A plan's bonus_pool (contract 5.3) in cents as text, or None: money, at most 2 decimals, >= 0."""
    v = p.get("bonus_pool")
    if v is None:
        return None
    try:
        cents = decimal.Decimal(str(v).strip()) * 100
    except decimal.InvalidOperation:
        sys.exit(f"plan {p['name']}: bonus_pool {v!r} is not a decimal")
    if cents != cents.to_integral_value() or cents < 0:
        sys.exit(f"plan {p['name']}: bonus_pool {v} is not money >= 0 with at most 2 decimals")
    return str(int(cents))


def load_plans(con, plans):
    """Loads the pipeline's plans (contract 5.1, with its defaults) into DuckDB tables."""
    con.execute("CREATE TEMP TABLE plans (plan VARCHAR, role VARCHAR, valid_from DATE, valid_to DATE, "
                "cg_department BOOLEAN, cg_team BOOLEAN, cg_role BOOLEAN, cg_manager BOOLEAN, swing_threshold DOUBLE, "
                "bonus_pool HUGEINT)")
    con.execute("CREATE TEMP TABLE plan_kpis (plan VARCHAR, ord INTEGER, metric VARCHAR, weight DOUBLE, perspective VARCHAR, "
                "direction VARCHAR, threshold DOUBLE, target DOUBLE, stretch DOUBLE)")
    con.execute("CREATE TEMP TABLE plan_grades (plan VARCHAR, ord INTEGER, grade VARCHAR, min DOUBLE, "
                "multiplier DECIMAL(18, 4), multiplier_units HUGEINT)")
    for p in plans or []:
        y, m = month_label(p["valid_from"])
        valid_from = datetime.date(y, m, 1)
        valid_to = None
        if p.get("valid_to") is not None:
            y, m = month_label(p["valid_to"])
            valid_to = add_months(datetime.date(y, m, 1), 1) - datetime.timedelta(days=1)
        group = p.get("calibration_group") or ["department", "role"]
        for c in group:
            if c not in CALIBRATION_COLUMNS:
                sys.exit(f"plan {p['name']}: calibration_group column {c!r} is not one of {CALIBRATION_COLUMNS}")
        con.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::HUGEINT)",
                    [p["name"], p["role"], valid_from, valid_to] + [c in group for c in CALIBRATION_COLUMNS]
                    + [float(p.get("swing_threshold", 20)), pool_cents(p)])
        for i, k in enumerate(p["kpis"]):
            con.execute("INSERT INTO plan_kpis VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [p["name"], i, k["metric"], float(k["weight"]), k["perspective"], k["direction"],
                         float(k["threshold"]), float(k["target"]), float(k["stretch"])])
        for i, g in enumerate(p.get("grades") or DEFAULT_GRADES):
            mult = decimal.Decimal(str(g["bonus_multiplier"]))
            units = mult * 10000
            if units != units.to_integral_value():
                sys.exit(f"plan {p['name']}: bonus_multiplier {mult} has more than 4 decimals")
            con.execute("INSERT INTO plan_grades VALUES (?, ?, ?, ?, ?::DECIMAL(18, 4), ?::HUGEINT)",
                        [p["name"], i, str(g["grade"]), None if g.get("min") is None else float(g["min"]),
                         str(mult), str(int(units))])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("format", choices=["csv", "parquet"])
    ap.add_argument("first")
    ap.add_argument("last")
    ap.add_argument("out")
    ap.add_argument("--pipeline")
    ap.add_argument("--grain", choices=["month", "quarter"])
    ap.add_argument("--base")
    ap.add_argument("--tz")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()

    pipeline = {}
    if a.pipeline:
        with open(a.pipeline) as f:
            pipeline = yaml.load(f, Loader=DecimalLoader) or {}
    base = a.base or pipeline.get("base_currency") or "CNY"
    tz = a.tz or pipeline.get("timezone") or "Asia/Shanghai"
    grain = a.grain or pipeline.get("grain") or "month"
    if grain not in ("month", "quarter"):
        sys.exit(f"grain {grain} is not supported by the reference (month, quarter)")
    if grain != "month" and int(pipeline.get("fiscal_year_start", 1)) != 1:
        sys.exit("the reference computes calendar quarters only (fiscal_year_start 1)")
    months = 1 if grain == "month" else 3
    first = period_start(a.first, grain)
    last = period_start(a.last, grain)
    metrics = reference_custom.parse(pipeline)
    # the period before the window (review_flag), and the periods its lags read
    computed_first = add_months(first, -months * (1 + reference_custom.lag_depth(metrics)))

    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET TimeZone = '{tz}'")

    def reader(path):
        if a.format == "csv":
            return f"read_csv('{path}', all_varchar = true, header = true)"
        return f"read_parquet('{path}')"

    for t in TABLES:
        source = reader(os.path.join(a.data, f"{t}.{a.format}"))
        have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        extra = "".join(f", NULL::VARCHAR AS {c}" for c in OPTIONAL_COLUMNS.get(t, []) if c not in have)
        con.execute(f"CREATE VIEW {t} AS SELECT *{extra} FROM {source}")
    for t, cols in OPTIONAL.items():
        path = os.path.join(a.data, f"{t}.{a.format}")
        have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader(path)}").fetchall()] if os.path.exists(path) else []
        select = ", ".join(f"{c}::VARCHAR AS {c}" if c in have else f"NULL::VARCHAR AS {c}" for c in cols)
        source = f" FROM {reader(path)}" if have else " WHERE false"
        con.execute(f"CREATE VIEW {t} AS SELECT {select}{source}")

    con.execute("CREATE TEMP TABLE params AS SELECT ?::VARCHAR AS base, ?::VARCHAR AS tz, ?::VARCHAR AS grain, "
                "?::DATE AS first_ps, ?::DATE AS last_ps", [base, tz, grain, computed_first, last])
    con.execute(f"CREATE MACRO pstart(d) AS date_trunc('{grain}', d)::DATE")
    con.execute(f"CREATE MACRO pmonths() AS {months}")
    if grain == "month":
        con.execute("CREATE MACRO plabel(d) AS strftime(d, '%Y-%m')")
    else:
        con.execute("CREATE MACRO plabel(d) AS year(d)::VARCHAR || '-Q' || quarter(d)::VARCHAR")
    load_plans(con, pipeline.get("plans"))

    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    con.execute(open(os.path.join(HERE, "reference.sql")).read())
    if metrics:
        reference_custom.run(con, metrics)
    con.execute(open(os.path.join(HERE, "reference_scores.sql")).read())
    counts = []
    for table in ("scorecards", "kpi_scores", "rollups"):
        con.execute(
            f"COPY (SELECT * EXCLUDE (period), ?::VARCHAR AS grain, period FROM out_{table} "
            f"WHERE period IN (SELECT period FROM periods WHERE ps >= ?)) "
            f"TO '{os.path.join(a.out, table)}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (grain, period), OVERWRITE)",
            [grain, first])
        counts.append(con.execute(f"SELECT count(*) FROM out_{table} WHERE period IN (SELECT period FROM periods WHERE ps >= ?)",
                                  [first]).fetchone()[0])
    print(f"reference: {counts[0]} scorecard rows, {counts[1]} kpi_scores rows, {counts[2]} rollup rows "
          f"in {time.time() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
