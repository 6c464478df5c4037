#!/usr/bin/env python3
"""The scaling curve: factorscore's backfill and the DuckDB SQL reference on companies of growing
size, time and peak RSS against input rows.

Usage: bench/scaling.py [--presets s1,s5,s10,s20,s40] [--repeat 3] [--dir /tmp/factorscore-bench]
                        [--bin BIN] [--no-duckdb-above s20] [--csv bench/scaling.csv] [--svg docs]

Each preset is generated once (cached, as bench/run.py does) and its `pipeline.yaml` (the whole
contract: every period scored, the sample's custom metrics) is run `--repeat` times by factorscore
and by `bench/reference.py --pipeline`, alternately. Wall time is the median, peak RSS the maximum
(both from /usr/bin/time). The table is written as CSV and drawn by `examples/scaling_chart.rs`
(the report's own chart code) into `scaling-time.svg` and `scaling-memory.svg`.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: prepare, timed and the pipelines)

ROOT = run.ROOT


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="s1,s5,s10,s20,s40")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/factorscore-bench")
    ap.add_argument("--bin", default=run.BIN)
    ap.add_argument("--no-duckdb-above", default=None,
                    help="skip the DuckDB reference for presets larger than this one (memory)")
    ap.add_argument("--csv", default=os.path.join(ROOT, "bench", "scaling.csv"))
    ap.add_argument("--svg", default=os.path.join(ROOT, "docs"))
    a = ap.parse_args()
    run.BIN = a.bin
    presets = a.presets.split(",")
    size = lambda p: int(p[1:])
    rows_out = []
    for preset in presets:
        data, rows = run.prepare(preset, a.dir)
        pipeline = os.path.join(data, "pipeline.yaml")
        fs, ref = [], []
        duck = a.no_duckdb_above is None or size(preset) <= size(a.no_duckdb_above)
        for _ in range(a.repeat):
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            fs.append(run.timed([a.bin, "run", pipeline])[:2])
            if duck:
                shutil.rmtree(os.path.join(data, "ref"), ignore_errors=True)
                ref.append(run.timed([sys.executable, os.path.join(ROOT, "bench", "reference.py"), data, "parquet",
                                      run.FIRST, run.LAST, os.path.join(data, "ref"), "--pipeline", pipeline])[:2])
        med = lambda xs: statistics.median(x[0] for x in xs) if xs else None
        peak = lambda xs: max(x[1] for x in xs) if xs else None
        rows_out.append((preset, rows, med(fs), peak(fs), med(ref), peak(ref)))
        print(f"{preset}: {rows:,} rows, factorscore {med(fs):.2f} s {peak(fs):.0f} MiB"
              + (f", DuckDB {med(ref):.2f} s {peak(ref):.0f} MiB" if ref else ""), file=sys.stderr)
    fmt = lambda v, f: "" if v is None else f.format(v)
    with open(a.csv, "w") as f:
        f.write("preset,input_rows,factorscore_s,factorscore_mib,duckdb_s,duckdb_mib\n")
        for p, rows, t, m, rt, rm in rows_out:
            f.write(f"{p},{rows},{fmt(t, '{:.2f}')},{fmt(m, '{:.0f}')},{fmt(rt, '{:.2f}')},{fmt(rm, '{:.0f}')}\n")
    print("| preset | input rows | factorscore s | factorscore peak MiB | DuckDB s | DuckDB peak MiB | time / S10 | memory / S10 |")
    print("|---|---|---|---|---|---|---|---|")
    base = next((r for r in rows_out if r[0] == "s10"), None)
    for p, rows, t, m, rt, rm in rows_out:
        vs = f"{t / base[2]:.2f} | {m / base[3]:.2f}" if base else " | "
        print(f"| {p.upper()} | {rows:,} | {t:.2f} | {m:.0f} | {fmt(rt, '{:.2f}')} | {fmt(rm, '{:.0f}')} | {vs} |")
    # A debug build: the chart is a few lines of SVG.
    subprocess.run(["cargo", "run", "--quiet", "--example", "scaling_chart", "--", a.csv, a.svg],
                   cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
