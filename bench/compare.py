#!/usr/bin/env python3
"""Compares two scorecard outputs (factorscore's and the SQL reference's), column by column.

Usage: compare.py FACTORSCORE_DIR REFERENCE_DIR
Money and counts must be equal, floats equal within 1e-12 relative, nulls in the same places,
and both must have the same (employee_id, period) rows. Prints a summary; exits 1 on any mismatch.
"""
import sys

import duckdb

KEYS = ["employee_id", "period"]


def main():
    a, b = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{a}/scorecards/**/*.parquet', hive_partitioning = true)")
    con.execute(f"CREATE VIEW b AS SELECT * FROM read_parquet('{b}/**/*.parquet', hive_partitioning = true)")
    cols = [r for r in con.execute("DESCRIBE b").fetchall() if r[0] not in KEYS]
    only = con.execute(
        "SELECT count(*) FILTER (WHERE a.employee_id IS NULL), count(*) FILTER (WHERE b.employee_id IS NULL), count(*) "
        "FROM a FULL JOIN b USING (employee_id, period)").fetchone()
    problems = []
    if only[0] or only[1]:
        problems.append(f"rows only in the reference: {only[0]}, only in factorscore: {only[1]}")
    for name, typ, *_ in cols:
        if typ in ("DOUBLE", "FLOAT"):
            bad = f"NOT ((a.{name} IS NULL AND b.{name} IS NULL) OR abs(a.{name} - b.{name}) <= 1e-12 * greatest(abs(a.{name}), abs(b.{name})))"
        else:
            bad = f"a.{name} IS DISTINCT FROM b.{name}"
        n, example = con.execute(
            f"SELECT count(*), any_value(a.employee_id || ' ' || a.period || ': ' || coalesce(a.{name}::VARCHAR, 'null') || ' vs reference ' || coalesce(b.{name}::VARCHAR, 'null')) "
            f"FROM a JOIN b USING (employee_id, period) WHERE {bad}").fetchone()
        if n:
            problems.append(f"{name}: {n} rows differ, e.g. {example}")
    print(f"compared {only[2]} rows x {len(cols)} columns: {'all equal' if not problems else str(len(problems)) + ' columns differ'}")
    for p in problems:
        print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
