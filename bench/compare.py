#!/usr/bin/env python3
"""Compares two factorscore outputs (factorscore's and the SQL reference's), table by table, cell by cell.

Usage: compare.py FACTORSCORE_DIR REFERENCE_DIR [--tables scorecards,kpi_scores,rollups|plan_comparison]
                  [--ours-only TABLE.COLUMN,...]

Each table is read from DIR/TABLE/**/*.parquet with Hive partitioning (grain and period come from
the path, as text). By default all three tables are compared; --tables picks some (e.g.
`--tables scorecards` for an output that has no kpi_scores or rollups). A table folder missing on
either side is a mismatch; a folder without files is an empty table.

Rows are matched on their keys:
  scorecards  employee_id, grain, period
  kpi_scores  employee_id, grain, period, metric
  rollups     level, key, grain, period
  plan_comparison  employee_id, grain, period (`factorscore compare --out`, bench/reference_compare.py)
and both sides must have the same rows and the reference's columns with the same types; factorscore
may have more columns only where --ours-only names them (columns the reference does not compute,
e.g. `scorecards.base_salary`), and must have those. Values:
  * money (decimals), counts, strings, booleans and dates: exactly equal;
  * section 3 ratios, means and hours, and DOUBLE custom metrics (in scorecards and rollups):
    within 1e-12 relative;
  * scores: composite_score, percentile_in_group, zscore_in_group, and kpi_scores' weight,
    effective_weight, score, weighted_score: within 1e-9 absolute;
  * kpi_scores' metric values (raw_actual, actual, target, threshold, stretch): within 1e-9
    absolute or 1e-12 relative, whichever is looser (they are section 3 values as Float64);
  * nulls in the same places.
Prints one line per table (`scorecards: compared N rows x M columns: all equal`), then any problems
indented; exits 1 on any mismatch.
"""
import argparse
import glob
import os
import sys

import duckdb

KEYS = {
    "scorecards": ["employee_id", "grain", "period"],
    "kpi_scores": ["employee_id", "grain", "period", "metric"],
    "rollups": ["level", "key", "grain", "period"],
    "plan_comparison": ["employee_id", "grain", "period"],
}
SCORE_COLUMNS = {"composite_score", "percentile_in_group", "zscore_in_group", "weight", "effective_weight", "score",
                 "weighted_score", "composite_current", "composite_proposed"}
KPI_VALUE_COLUMNS = {"raw_actual", "actual", "target", "threshold", "stretch"}


def differs(name, typ):
    """SQL predicate: a.name and b.name disagree."""
    a, b = f'a."{name}"', f'b."{name}"'
    if typ not in ("DOUBLE", "FLOAT"):
        return f"{a} IS DISTINCT FROM {b}"
    if name in SCORE_COLUMNS:
        tol = "1e-9"
    elif name in KPI_VALUE_COLUMNS:
        tol = f"greatest(1e-9, 1e-12 * greatest(abs({a}), abs({b})))"
    else:
        tol = f"1e-12 * greatest(abs({a}), abs({b}))"
    # null on one side only is a difference; so is NaN against a number
    return f"(({a} IS NULL) <> ({b} IS NULL) OR NOT coalesce(abs({a} - {b}) <= {tol}, true))"


def load(con, view, root, table):
    """Creates the view for one side's table; returns None, or a problem if it cannot be read."""
    folder = os.path.join(root, table)
    if not os.path.isdir(folder):
        return f"no {table} folder in {root}"
    if not glob.glob(os.path.join(folder, "**", "*.parquet"), recursive=True):
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT NULL::VARCHAR AS _empty WHERE false")
        return None
    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{folder}/**/*.parquet', "
                f"hive_partitioning = true, hive_types_autocast = false)")
    return None


def compare(con, ours, ref, table, ours_only=()):
    keys = KEYS[table]
    problems = [p for p in (load(con, "a", ours, table), load(con, "b", ref, table)) if p]
    if problems:
        return f"{table}: cannot compare", problems
    a_cols = {r[0]: r[1] for r in con.execute("DESCRIBE a").fetchall()}
    b_cols = {r[0]: r[1] for r in con.execute("DESCRIBE b").fetchall()}
    empty_a, empty_b = "_empty" in a_cols, "_empty" in b_cols
    if empty_a or empty_b:
        na, nb = (con.execute(f"SELECT count(*) FROM {v}").fetchone()[0] for v in ("a", "b"))
        if na or nb:
            problems.append(f"rows only in the reference: {nb}, only in factorscore: {na}")
        return f"{table}: compared 0 rows: {'no rows on either side' if not problems else 'rows differ'}", problems
    missing = [c for c in b_cols if c not in a_cols]
    extra = [c for c in a_cols if c not in b_cols and c not in ours_only]
    absent = [c for c in ours_only if c not in a_cols]
    if absent:
        problems.append(f"columns named by --ours-only missing in factorscore: {', '.join(absent)}")
    if missing:
        problems.append(f"columns missing in factorscore: {', '.join(missing)}")
    if extra:
        problems.append(f"columns only in factorscore: {', '.join(extra)}")
    for k in keys:
        if k in missing:
            return f"{table}: cannot compare", problems
    for c, t in b_cols.items():
        if c in a_cols and a_cols[c] != t:
            problems.append(f"{c}: type {a_cols[c]} in factorscore, {t} in the reference")
    using = ", ".join(keys)
    label = " || ' ' || ".join(f"coalesce(a.{k}, b.{k})" for k in keys)
    only = con.execute(
        f"SELECT count(*) FILTER (WHERE a.{keys[0]} IS NULL), count(*) FILTER (WHERE b.{keys[0]} IS NULL), "
        f"count(*) FILTER (WHERE a.{keys[0]} IS NOT NULL AND b.{keys[0]} IS NOT NULL), "
        f"any_value({label}) FILTER (WHERE a.{keys[0]} IS NULL), any_value({label}) FILTER (WHERE b.{keys[0]} IS NULL) "
        f"FROM (SELECT *, true AS _a FROM a) a FULL JOIN (SELECT *, true AS _b FROM b) b USING ({using})").fetchone()
    if only[0] or only[1]:
        problems.append(f"rows only in the reference: {only[0]}{' (e.g. ' + only[3] + ')' if only[3] else ''}, "
                        f"only in factorscore: {only[1]}{' (e.g. ' + only[4] + ')' if only[4] else ''}")
    dups = [con.execute(f"SELECT count(*) - count(DISTINCT ({using})) FROM {v}").fetchone()[0] for v in ("a", "b")]
    if any(dups):
        problems.append(f"duplicate keys: {dups[0]} in factorscore, {dups[1]} in the reference")
    cols = [(c, t) for c, t in b_cols.items() if c not in keys and c in a_cols]
    key_label = " || ' ' || ".join(f"a.{k}" for k in keys)
    for name, typ in cols:
        n, example = con.execute(
            f"SELECT count(*), any_value({key_label} || ': ' || coalesce(a.\"{name}\"::VARCHAR, 'null') || "
            f"' vs reference ' || coalesce(b.\"{name}\"::VARCHAR, 'null')) "
            f"FROM a JOIN b USING ({using}) WHERE {differs(name, typ)}").fetchone()
        if n:
            problems.append(f"{name}: {n} rows differ, e.g. {example}")
    summary = f"{table}: compared {only[2]} rows x {len(b_cols) - len(keys)} columns: "
    return summary + ("all equal" if not problems else f"{len(problems)} problems"), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--tables", default="scorecards,kpi_scores,rollups")
    ap.add_argument("--ours-only", default="", help="TABLE.COLUMN,... written by factorscore only: not compared")
    a = ap.parse_args()
    ours_only = {}
    for tc in filter(None, a.ours_only.split(",")):
        table, _, column = tc.partition(".")
        ours_only.setdefault(table, []).append(column)
    con = duckdb.connect()
    failed = False
    for table in a.tables.split(","):
        if table not in KEYS:
            sys.exit(f"unknown table {table}; one of {', '.join(KEYS)}")
        summary, problems = compare(con, a.ours, a.reference, table, ours_only.get(table, ()))
        print(summary)
        for p in problems:
            print("  " + p)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
