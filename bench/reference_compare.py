#!/usr/bin/env python3
"""The SQL reference of comparing plans (data contract 5.4): the same rows scored under the
pipeline's plans and under a proposed plans file, side by side, as `plan_comparison`.

Usage: reference_compare.py DATA FORMAT FIRST LAST OUT --pipeline PIPELINE --proposed PROPOSED [--grain G]

It runs bench/reference.py twice on the same inputs: with the pipeline (the current side), and with a
copy of the pipeline whose `plans` are the proposed file's (the proposed side). The reference scores
a row by the plan in force for its role and applies an adjustment only to a KPI of that plan, so an
adjustment whose metric the proposed plan does not score is ignored on that side, as 5.4 says. Then
DuckDB joins the two scorecards tables on (employee_id, period) (a row's plan is the one its
kpi_scores rows name) and writes
OUT/plan_comparison/grain=G/period=P/*.parquet with the columns of 5.4: the org as in scorecards,
plan, composite, grade and bonus on each side, and bonus_delta = proposed - current, exact.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import duckdb
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("format", choices=["csv", "parquet"])
    ap.add_argument("first")
    ap.add_argument("last")
    ap.add_argument("out")
    ap.add_argument("--pipeline", required=True)
    ap.add_argument("--proposed", required=True)
    ap.add_argument("--grain", choices=["month", "quarter"])
    a = ap.parse_args()

    with open(a.pipeline) as f:
        text = f.read()
    with open(a.proposed) as f:
        proposed = yaml.safe_load(f)
    if set(proposed) != {"plans"}:
        sys.exit("reference: the proposed file holds `plans` only")
    pipeline = yaml.safe_load(text)
    grain = a.grain or pipeline.get("grain") or "month"
    with tempfile.TemporaryDirectory() as tmp:
        # The proposed pipeline: the same file with its `plans` replaced, beside the original so
        # that relative source paths resolve the same.
        at = text.find("\nplans:")
        head = text if at < 0 else text[:at + 1]
        swapped = os.path.join(os.path.dirname(os.path.abspath(a.pipeline)), f".proposed-{os.getpid()}.yaml")
        with open(swapped, "w") as f:
            f.write(head + yaml.safe_dump({"plans": proposed["plans"]}, sort_keys=False, allow_unicode=True))
        try:
            sides = {}
            for side, p in (("current", a.pipeline), ("proposed", swapped)):
                out = os.path.join(tmp, side)
                cmd = [sys.executable, os.path.join(HERE, "reference.py"), a.data, a.format, a.first, a.last, out,
                       "--pipeline", p, "--grain", grain]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"reference ({side}) failed:\n{r.stdout}{r.stderr}")
                sides[side] = out
        finally:
            os.remove(swapped)
        con = duckdb.connect()
        read = lambda folder: (f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
                               f"hive_types_autocast = false)")
        for side, folder in sides.items():
            # A rated row has a kpi_scores row per KPI of its plan: its plan is theirs.
            kpis = os.path.join(folder, "kpi_scores")
            plans = (f"SELECT DISTINCT employee_id, period, plan FROM {read(kpis)}"
                     if any(fs for _, _, fs in os.walk(kpis)) else
                     "SELECT NULL::VARCHAR AS employee_id, NULL::VARCHAR AS period, NULL::VARCHAR AS plan WHERE false")
            con.execute(f"CREATE VIEW {side} AS SELECT s.*, k.plan FROM {read(os.path.join(folder, 'scorecards'))} s "
                        f"LEFT JOIN ({plans}) k USING (employee_id, period)")
        os.makedirs(a.out, exist_ok=True)
        con.execute(f"""
            COPY (
              SELECT c.employee_id, c.department, c.team, c.role,
                     c.plan AS plan_current, p.plan AS plan_proposed,
                     c.composite_score AS composite_current, p.composite_score AS composite_proposed,
                     c.grade AS grade_current, p.grade AS grade_proposed,
                     c.bonus AS bonus_current, p.bonus AS bonus_proposed,
                     (p.bonus - c.bonus)::DECIMAL(38, 2) AS bonus_delta,
                     c.grain, c.period
              FROM current c JOIN proposed p USING (employee_id, period)
            ) TO '{os.path.join(a.out, "plan_comparison")}'
              (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (grain, period), OVERWRITE)""")
        n = con.execute("SELECT count(*) FROM current").fetchone()[0]
        m = con.execute("SELECT count(*) FROM proposed").fetchone()[0]
        if n != m:
            sys.exit(f"reference: {n} rows on the current side, {m} on the proposed")
        print(f"reference: {n} plan_comparison rows", file=sys.stderr)


if __name__ == "__main__":
    main()
