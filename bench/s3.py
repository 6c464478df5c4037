#!/usr/bin/env python3
"""The object-storage benchmark: the S10 backfill reading its Parquet sources from a local S3 server
(moto's, on loopback) and writing its tables back there, against the same run on local files.

Usage: bench/s3.py [--preset s10] [--repeat 5] [--dir /tmp/factorscore-bench]

It uses the data and pipeline of bench/run.py (run that first, or let this generate them), starts
`moto_server` on a free port, uploads the sources to `s3://bench/<preset>/`, writes a copy of the
pipeline whose sources and output are URLs, and times the two runs alternately (`--force`, so the
no-op check never skips one). Both runs' scorecards must hold the same figures; the script checks
them with DuckDB on the downloaded objects. Wall times are medians; peak RSS from /usr/bin/time.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

SECRET = "bench-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto(port):
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("moto_server did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="s10")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/factorscore-bench")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--profile", "dist", "--quiet"], cwd=bench.ROOT, check=True)
    data, rows = bench.prepare(a.preset, a.dir)
    port = free_port()
    server = moto(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench",
                          aws_secret_access_key=SECRET, region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        for t in bench.TABLES:
            s3.upload_file(os.path.join(data, f"{t}.parquet"), "bench", f"{a.preset}/{t}.parquet")
        local = os.path.join(data, "pipeline.yaml")
        remote = os.path.join(data, "pipeline-s3.yaml")
        with open(local) as f:
            text = f.read()
        for t in bench.TABLES:
            text = text.replace(f"{{ path: {t}.parquet }}", f"{{ path: s3://bench/{a.preset}/{t}.parquet }}")
        text = text.replace("output: { path: out }", f"output: {{ path: s3://bench/{a.preset}/out }}")
        text += (f"storage:\n  options:\n    aws_endpoint: {endpoint}\n    aws_allow_http: 'true'\n"
                 f"    aws_region: us-east-1\n    aws_access_key_id: bench\n    aws_secret_access_key: {SECRET}\n")
        with open(remote, "w") as f:
            f.write(text)
        times = {"local": [], "s3": []}
        for _ in range(a.repeat):
            shutil.rmtree(os.path.join(data, "out"), ignore_errors=True)
            times["local"].append(bench.timed([bench.BIN, "run", "--force", "-q", local])[:2])
            times["s3"].append(bench.timed([bench.BIN, "run", "--force", "-q", remote])[:2])
        # The same figures: DuckDB over the local tables and over the downloaded objects.
        fetched = tempfile.mkdtemp()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix=f"{a.preset}/out/"):
            for o in page.get("Contents", []):
                rel = o["Key"][len(f"{a.preset}/out/"):]
                if rel.endswith(".parquet"):
                    os.makedirs(os.path.dirname(os.path.join(fetched, rel)), exist_ok=True)
                    s3.download_file("bench", o["Key"], os.path.join(fetched, rel))
        q = ("select count(*), sum(outstanding), sum(funded_volume), sum(bonus), count(distinct period) "
             "from read_parquet('{}/scorecards/**/*.parquet', hive_partitioning = true)")
        figures = [subprocess.run([sys.executable, "-c", f"import duckdb; print(duckdb.sql(\"{q.format(d)}\").fetchone())"],
                                  capture_output=True, text=True, check=True).stdout.strip()
                   for d in (os.path.join(data, "out"), fetched)]
        shutil.rmtree(fetched)
    finally:
        server.kill()
    med = {k: statistics.median(x[0] for x in v) for k, v in times.items()}
    rss = {k: max(x[1] for x in v) for k, v in times.items()}
    print(f"{a.preset}: {rows:,} input rows, {a.repeat} alternating runs each")
    print("| run | median wall s | all runs s | peak RSS MiB |")
    print("|---|---|---|---|")
    for k in ("local", "s3"):
        print(f"| {k} | {med[k]:.2f} | {', '.join(f'{x[0]:.2f}' for x in times[k])} | {rss[k]:.0f} |")
    print(f"\ns3 / local: {med['s3'] / med['local']:.2f}")
    print(f"same figures: {figures[0] == figures[1]} {figures[0]}")
    if figures[0] != figures[1]:
        sys.exit(f"the figures differ: local {figures[0]}, s3 {figures[1]}")


if __name__ == "__main__":
    main()
