#!/usr/bin/env python3
"""The benchmark harness: factorscore against the DuckDB SQL reference, side by side.

Usage: bench/run.py [--presets s10,s20] [--repeat 3] [--dir /tmp/factorscore-bench]

For each preset it generates the company with factorscore's generator (once, cached), converted to
Parquet; then it times, alternately, (a) factorscore's full monthly backfill and (b) the reference
SQL in DuckDB, both reading the same Parquet and writing Parquet. It also times factorscore scanning
the inputs once (the floor) and a single-period run (the monthly job). Wall times are medians;
peak RSS comes from /usr/bin/time. Results are printed as a Markdown table.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "factorscore")
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


def prepare(preset, base):
    data = os.path.join(base, preset)
    if not os.path.exists(os.path.join(data, ".done")):
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating {preset} in {data} ...", file=sys.stderr)
        subprocess.run([BIN, "generate", "--preset", preset, "--format", "parquet", "--out", data], check=True)
        open(os.path.join(data, ".done"), "w").close()
    with open(os.path.join(data, "pipeline.yaml"), "w") as f:
        f.write(f"name: bench-{preset}\nbase_currency: CNY\ntimezone: Asia/Shanghai\ngrain: month\n")
        f.write(f"periods: {{ from: {FIRST}, to: {LAST} }}\nsources:\n")
        for t in TABLES:
            f.write(f"  {t}: {{ path: {t}.parquet }}\n")
        f.write("output: { path: out }\n")
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
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    results = {}
    for preset in a.presets.split(","):
        data, rows = prepare(preset, a.dir)
        pipeline = os.path.join(data, "pipeline.yaml")
        fs, ref, scan, single = [], [], [], []
        for _ in range(a.repeat):
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            fs.append(timed([BIN, "run", pipeline])[:2])
            shutil.rmtree(os.path.join(data, "ref"), ignore_errors=True)
            ref.append(timed([sys.executable, os.path.join(ROOT, "bench", "reference.py"), data, "parquet", FIRST, LAST,
                              os.path.join(data, "ref"), "--pipeline", pipeline])[:2])
            scan.append(timed([BIN, "scan", pipeline])[:2])
            single.append(timed([BIN, "run", pipeline, "--period", LAST])[:2])
        check = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare.py"), os.path.join(data, "out"),
                                os.path.join(data, "ref")], capture_output=True, text=True)
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        results[preset] = dict(rows=rows, fs=med(fs, 0), fs_rss=max(x[1] for x in fs), ref=med(ref, 0),
                               ref_rss=max(x[1] for x in ref), scan=med(scan, 0), single=med(single, 0),
                               agree=check.stdout.strip().splitlines()[0] if check.stdout else check.stderr)
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


if __name__ == "__main__":
    main()
