#!/usr/bin/env python3
"""The benchmark harness: factorscore against the DuckDB SQL reference, side by side.

Usage: bench/run.py [--presets s10,s20] [--repeat 3] [--dir /tmp/factorscore-bench] [--before BIN]

For each preset it generates the company with factorscore's generator (once, cached), converted to
Parquet; then it times, alternately, (a) factorscore's full monthly backfill and (b) the reference
SQL in DuckDB, both reading the same Parquet and writing Parquet. It also times factorscore scanning
the inputs once (the floor) and a single-period run (the monthly job). Wall times are medians;
peak RSS comes from /usr/bin/time. Results are printed as a Markdown table.

The pipeline scores every period: it holds the plans of pipelines/monthly.yaml, the first plan of
each role starting at the first benchmark month. The cost of scoring is measured twice: the same
binary on a copy of the pipeline without plans, and, with --before, a binary built before scoring
existed (e.g. from commit 6acbafa) on that copy, which writes scorecards only. The plans pipeline
also declares the sample's custom metrics (the sales plan scores one). The cost of custom metrics is
the same binary with and without ten custom metrics of every table and kind (CUSTOM10), on the
pipeline without plans and on the plans scoring built-ins only (pipeline-plans.yaml and
pipeline-plans-custom10.yaml: the sales plan's KPI on distinct_debtors scores applications_funded).
"""
import argparse
import os
import shutil
import statistics
import json
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The benchmarks measure the `dist` profile (fat LTO), the fastest binary.
BIN = os.path.join(ROOT, "target", "dist", "factorscore")
TABLES = ["invoices", "collections", "write_offs", "fees", "applications", "assignments", "employees",
          "org_history", "fx_rates", "reviews", "targets", "adjustments"]
FIRST, LAST = "2017-01", "2026-12"


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS MiB, stdout)."""
    out = subprocess.run(["/usr/bin/time", "-f", "@@ %e %M"] + cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    line = [l for l in out.stderr.splitlines() if l.startswith("@@ ")][-1]
    wall, rss = line.split()[1:]
    return float(wall), int(rss) / 1024, out.stdout + out.stderr


def bench_plans():
    """The sample's plans, the first plan of each role starting at the first benchmark month."""
    with open(os.path.join(ROOT, "pipelines", "monthly.yaml")) as f:
        plans = yaml.safe_load(f)["plans"]
    first = {}
    for p in plans:
        p["valid_from"] = str(p["valid_from"])
        if "valid_to" in p:
            p["valid_to"] = str(p["valid_to"])
        if p["role"] not in first or p["valid_from"] < first[p["role"]]["valid_from"]:
            first[p["role"]] = p
    for p in first.values():
        p["valid_from"] = FIRST
    return plans


# Ten custom metrics (contract 3.1) of every table and kind, for the cost of custom metrics: timed
# on the pipeline without plans, with and without them.
CUSTOM10 = [
    {"name": "nonrecourse_cash", "table": "collections", "agg": "sum", "column": "amount",
     "filter": "invoice.recourse = false"},
    {"name": "par120", "table": "balances", "agg": "sum", "column": "balance", "filter": "days_past_due > 120"},
    {"name": "distinct_debtors", "table": "invoices", "agg": "count_distinct", "column": "debtor_id"},
    {"name": "median_advance", "table": "invoices", "agg": "median", "column": "advance_amount"},
    {"name": "p90_collection", "table": "collections", "agg": "quantile", "column": "amount", "q": 0.9},
    {"name": "usd_fees", "table": "fees", "agg": "sum", "column": "amount", "filter": "invoice.currency = 'USD'"},
    {"name": "largest_write_off", "table": "write_offs", "agg": "max", "column": "amount"},
    {"name": "approved_requests", "table": "applications", "agg": "count", "filter": "decision = 'approved'"},
    {"name": "customer_mean", "table": "reviews", "agg": "mean", "column": "score", "filter": "source = 'customer'"},
    {"name": "new_client_growth", "expr": "new_clients / nullif(lag(new_clients), 0) - 1"},
]


def builtin_plans():
    """The bench plans with the one KPI on a custom metric (distinct_debtors) scoring a built-in
    count instead, so that the plans run without custom metrics."""
    plans = bench_plans()
    for p in plans:
        for k in p["kpis"]:
            if k["metric"] == "distinct_debtors":
                k["metric"] = "applications_funded"
    return plans


def sample_metrics():
    """The sample pipeline's own custom metrics (its plans score one of them)."""
    with open(os.path.join(ROOT, "pipelines", "monthly.yaml")) as f:
        return yaml.safe_load(f).get("metrics", [])


def phases(data):
    """Milliseconds per phase of the last run, from its manifest."""
    with open(os.path.join(data, "out", "_manifest.json")) as f:
        return dict(json.load(f)["timings_ms"])


def prepare(preset, base):
    data = os.path.join(base, preset)
    if not os.path.exists(os.path.join(data, ".done")):
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating {preset} in {data} ...", file=sys.stderr)
        subprocess.run([BIN, "generate", "--preset", preset, "--format", "parquet", "--out", data], check=True)
        open(os.path.join(data, ".done"), "w").close()
    for name, extra in (("pipeline.yaml", {"metrics": sample_metrics(), "plans": bench_plans()}),
                        ("pipeline-noplans.yaml", {}),
                        ("pipeline-custom10.yaml", {"metrics": CUSTOM10}),
                        ("pipeline-plans.yaml", {"plans": builtin_plans()}),
                        ("pipeline-plans-custom10.yaml", {"metrics": CUSTOM10, "plans": builtin_plans()})):
        with open(os.path.join(data, name), "w") as f:
            f.write(f"name: bench-{preset}\nbase_currency: CNY\ntimezone: Asia/Shanghai\ngrain: month\n")
            f.write(f"periods: {{ from: {FIRST}, to: {LAST} }}\nsources:\n")
            for t in TABLES:
                f.write(f"  {t}: {{ path: {t}.parquet }}\n")
            f.write("output: { path: out }\n")
            if extra:
                f.write(yaml.safe_dump(extra, sort_keys=False, allow_unicode=True))
    rows = 0
    for t in TABLES:
        r = subprocess.run([sys.executable, "-c", f"import duckdb; print(duckdb.sql(\"select count(*) from '{data}/{t}.parquet'\").fetchone()[0])"],
                           capture_output=True, text=True, check=True)
        rows += int(r.stdout)
    return data, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="s10,s20")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/factorscore-bench")
    ap.add_argument("--before", help="a factorscore binary from before scoring, timed on the pipeline without plans")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--profile", "dist", "--quiet"], cwd=ROOT, check=True)
    results = {}
    for preset in a.presets.split(","):
        data, rows = prepare(preset, a.dir)
        pipeline = os.path.join(data, "pipeline.yaml")
        noplans = os.path.join(data, "pipeline-noplans.yaml")
        custom10 = os.path.join(data, "pipeline-custom10.yaml")
        plans = os.path.join(data, "pipeline-plans.yaml")
        plans10 = os.path.join(data, "pipeline-plans-custom10.yaml")
        fs, ref, scan, single, unscored, before, custom = [], [], [], [], [], [], []
        planned, planned10 = [], []
        for _ in range(a.repeat):
            if a.before:
                shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
                before.append(timed([a.before, "run", noplans])[:2])
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            unscored.append(timed([BIN, "run", noplans])[:2])
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            custom.append(timed([BIN, "run", custom10])[:2])
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            planned.append(timed([BIN, "run", plans])[:2])
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            planned10.append(timed([BIN, "run", plans10])[:2])
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            fs.append(timed([BIN, "run", pipeline])[:2])
            last_phases = phases(data)
            shutil.rmtree(os.path.join(data, "ref"), ignore_errors=True)
            ref.append(timed([sys.executable, os.path.join(ROOT, "bench", "reference.py"), data, "parquet", FIRST, LAST,
                              os.path.join(data, "ref"), "--pipeline", pipeline])[:2])
            scan.append(timed([BIN, "scan", pipeline])[:2])
            single.append(timed([BIN, "run", pipeline, "--period", LAST])[:2])
        # The scorecards columns the reference does not compute (tests/it/differential.rs names
        # them from the output-table registry).
        ours_only = "scorecards." + ",scorecards.".join(
            ["plan", "base_salary", "months", "bonus_multiplier", "calibration_group"])
        check = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare.py"), os.path.join(data, "out"),
                                os.path.join(data, "ref"), "--ours-only", ours_only], capture_output=True, text=True)
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        results[preset] = dict(rows=rows, fs=med(fs, 0), fs_rss=max(x[1] for x in fs), ref=med(ref, 0),
                               ref_rss=max(x[1] for x in ref), scan=med(scan, 0), single=med(single, 0),
                               agree=" / ".join(check.stdout.strip().splitlines()) if check.stdout else check.stderr,
                               unscored=med(unscored, 0), before=med(before, 0) if before else None,
                               custom=med(custom, 0), planned=med(planned, 0), planned10=med(planned10, 0),
                               phases=last_phases)
    print("| preset | input rows | factorscore s | DuckDB SQL s | ratio | factorscore peak RSS MiB | DuckDB peak RSS MiB | rows/s (factorscore) | scan-only s | backfill / scan | single period s | single / backfill |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p, r in results.items():
        print(f"| {p} | {r['rows']:,} | {r['fs']:.2f} | {r['ref']:.2f} | {r['fs'] / r['ref']:.2f} | {r['fs_rss']:.0f} | "
              f"{r['ref_rss']:.0f} | {r['rows'] / r['fs']:,.0f} | {r['scan']:.2f} | {r['fs'] / r['scan']:.2f} | "
              f"{r['single']:.2f} | {r['single'] / r['fs']:.2f} |")
    if "s10" in results and "s20" in results:
        print(f"\nS20 / S10 factorscore time: {results['s20']['fs'] / results['s10']['fs']:.2f}")
    for p, r in results.items():
        print(f"{p}: {r['agree']}")
    print("\n| preset | before scoring s (old binary, no plans) | no plans s | with plans s | scoring cost vs no plans | vs before |")
    print("|---|---|---|---|---|---|")
    for p, r in results.items():
        b = r["before"]
        before = "" if b is None else f"{b:.2f}"
        vs_before = "" if b is None else f"{(r['fs'] / b - 1) * 100:+.1f} %"
        print(f"| {p} | {before} | {r['unscored']:.2f} | {r['fs']:.2f} | "
              f"{(r['fs'] / r['unscored'] - 1) * 100:+.1f} % | {vs_before} |")
    print("\n| preset | no plans s | no plans, ten custom metrics s | cost | plans s | plans, ten custom metrics s | cost |")
    print("|---|---|---|---|---|---|---|")
    for p, r in results.items():
        print(f"| {p} | {r['unscored']:.2f} | {r['custom']:.2f} | {(r['custom'] / r['unscored'] - 1) * 100:+.1f} % | "
              f"{r['planned']:.2f} | {r['planned10']:.2f} | {(r['planned10'] / r['planned'] - 1) * 100:+.1f} % |")
    for p, r in results.items():
        print(f"\n{p} phases of the last run with plans (ms): {r['phases']}")


if __name__ == "__main__":
    main()
