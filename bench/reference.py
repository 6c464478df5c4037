#!/usr/bin/env python3
"""Runs bench/reference.sql (the contract's metrics in DuckDB SQL) on canonical input files.

Usage: reference.py DATA_DIR FORMAT FIRST_MONTH LAST_MONTH OUT [--base CNY] [--tz Asia/Shanghai]
  FORMAT is csv or parquet; months are YYYY-MM. OUT is a folder: the result is written there as
  Hive-partitioned Parquet (period=YYYY-MM/...), like factorscore's scorecards.
"""
import argparse
import os
import sys
import time

import duckdb

TABLES = ["invoices", "collections", "write_offs", "fees", "applications", "assignments", "employees",
          "org_history", "fx_rates", "reviews"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("format", choices=["csv", "parquet"])
    ap.add_argument("first")
    ap.add_argument("last")
    ap.add_argument("out")
    ap.add_argument("--base", default="CNY")
    ap.add_argument("--tz", default="Asia/Shanghai")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")
    for t in TABLES:
        path = os.path.join(a.data, f"{t}.{a.format}")
        reader = f"read_csv('{path}', all_varchar = true, header = true)" if a.format == "csv" else f"read_parquet('{path}')"
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM {reader}")
    con.execute(
        "CREATE TEMP TABLE params AS SELECT ?::VARCHAR AS base, ?::VARCHAR AS tz, ?::DATE AS first_month, ?::DATE AS last_month",
        [a.base, a.tz, a.first + "-01", a.last + "-01"])
    sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.sql")).read()
    t0 = time.time()
    con.execute(sql)
    con.execute(f"COPY reference_scorecards TO '{a.out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (period), OVERWRITE_OR_IGNORE)")
    n = con.execute("SELECT count(*) FROM reference_scorecards").fetchone()[0]
    print(f"reference: {n} rows in {time.time() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
