"""The driver: options, the shard tasks and the merge task."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


class ShardKilled(Exception):
    """A task's process was killed, or ended with an internal error (exit code 2): the task is
    retried."""


class BadInput(Exception):
    """The program refused the pipeline, the inputs or the options (exit code 1): a retry would
    be refused again. Its message is the program's."""


def _call(argv):
    """Runs the program; raises with what it printed on stderr unless it succeeded."""
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode == 0:
        return done.stdout
    said = done.stderr.strip()
    if done.returncode == 1:
        raise BadInput(said)
    raise ShardKilled(f"`{' '.join(argv)}` ended with exit code {done.returncode}: {said}")


def parse(argv):
    p = argparse.ArgumentParser(
        prog="python3 -m factorscore_ray",
        description="Compute a factorscore pipeline as N shards on Ray, then merge them into the "
        "outputs `factorscore run` writes.",
    )
    p.add_argument("pipeline", help="the pipeline file (YAML)")
    p.add_argument("--shards", type=int, required=True, help="how many parts to split the clients into")
    p.add_argument("--out", required=True, help="the output folder (or object-store URL) of the merge")
    p.add_argument("--period", help="one period, as `factorscore run --period`")
    p.add_argument("--from", dest="from_", metavar="FROM", help="first period of a backfill")
    p.add_argument("--to", help="last period of a backfill")
    p.add_argument("--grain", help="month, quarter or year; the pipeline's by default")
    p.add_argument("--as-of", help="the day `--period previous` counts back from")
    p.add_argument("--bin", help="the factorscore binary; `factorscore` on PATH by default")
    p.add_argument("--partials", help="the parts folder: a path every node sees, or an object-store folder "
                   "(s3://bucket/parts); a temporary folder by default")
    p.add_argument("--slices", type=int, default=None,
                   help="bucket tasks, each reading a slice of the input files and writing each row to its "
                   "shard's bucket, so that a shard reads only its rows (default: as many as --shards; "
                   "0: no bucket stage, each shard reads every input)")
    p.add_argument("--buckets", help="the buckets folder, a path every node sees (default: `buckets` in a "
                   "local --partials folder)")
    p.add_argument("--address", help="the Ray cluster to join (RAY_ADDRESS by default; else a local one)")
    p.add_argument("--cpus-per-shard", type=float, default=1.0, help="CPUs each shard task asks for")
    p.add_argument("--memory-per-shard", type=int, default=None, help="bytes of memory each shard task asks for")
    p.add_argument("--retries", type=int, default=2, help="times a killed shard is run again (default 2)")
    p.add_argument("--force", action="store_true", help="merge even when the output already holds this run")
    p.add_argument("-q", "--quiet", action="store_true", help="report nothing but errors")
    a = p.parse_args(argv)
    if a.shards < 1:
        p.error("--shards must be 1 or more")
    if a.slices is None:
        a.slices = a.shards
    if a.slices < 0:
        p.error("--slices must be 0 or more")
    if a.slices and a.buckets and "://" in a.buckets:
        p.error("--buckets must be a path every node sees, not an object-store URL")
    if a.slices and not a.buckets and a.partials and "://" in a.partials:
        p.error("with --partials in an object store, give --buckets (a path every node sees) or --slices 0")
    if a.period and (a.from_ or a.to):
        p.error("--period cannot be given with --from or --to")
    return a


def period_args(a):
    out = []
    for flag, value in (("--period", a.period), ("--from", a.from_), ("--to", a.to),
                        ("--grain", a.grain), ("--as-of", a.as_of)):
        if value:
            out += [flag, value]
    return out


def resolve_previous(binary, pipeline, a):
    """`--period previous` named once, by the program itself (`run --dry-run`), so that every
    task computes the same period even if they start on either side of a month's end."""
    if a.period != "previous":
        return
    argv = [binary, "run", pipeline, "--dry-run", "--period", "previous"]
    for flag, value in (("--as-of", a.as_of), ("--grain", a.grain)):
        if value:
            argv += [flag, value]
    said = _call(argv)
    match = re.search(r"\((\S+) \.\. \S+\)", said)
    if not match:
        raise ShardKilled(f"`{' '.join(argv)}` did not name the period: {said.strip()}")
    a.period, a.as_of = match.group(1), None


def find_binary(given):
    path = given or shutil.which("factorscore")
    if not path:
        raise SystemExit("error: factorscore is not on PATH: give its path with --bin")
    return os.path.abspath(path)


def run(a):
    """Runs the shards and the merge; returns the merge's standard output."""
    # Quiet a warning of recent Ray about GPU variables: these tasks ask for no GPU.
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    import ray

    binary = find_binary(a.bin)
    pipeline = os.path.abspath(a.pipeline)
    out = a.out if "://" in a.out else os.path.abspath(a.out)
    resolve_previous(binary, pipeline, a)
    if a.partials:
        partials = a.partials if "://" in a.partials else os.path.abspath(a.partials)
    else:
        partials = tempfile.mkdtemp(prefix="factorscore-parts-")
    periods = period_args(a)
    n = a.shards
    buckets = None
    if a.slices:
        buckets = os.path.abspath(a.buckets) if a.buckets else os.path.join(partials, "buckets")

    ray.init(address=a.address or os.environ.get("RAY_ADDRESS"), include_dashboard=False,
             logging_level="ERROR", log_to_driver=False)
    resources = {"num_cpus": a.cpus_per_shard}
    if a.memory_per_shard:
        resources["memory"] = a.memory_per_shard

    @ray.remote(max_retries=a.retries, retry_exceptions=[ShardKilled], **resources)
    def bucket(m):
        return _call([binary, "bucket", pipeline, "--slice", str(m), "--slices", str(a.slices),
                      "--count", str(n), "--out", buckets, "-q"])

    @ray.remote(max_retries=a.retries, retry_exceptions=[ShardKilled], **resources)
    def shard(k, *_slices):
        # Each slice is an argument: Ray starts a shard once every bucket task has succeeded.
        from_buckets = ["--buckets", buckets] if buckets else []
        return _call([binary, "shard", pipeline, "--index", str(k), "--count", str(n),
                      "--out", partials, "-q", *from_buckets, *periods])

    @ray.remote(num_cpus=1)
    def merge(*_parts):
        # Each part is an argument: Ray starts the merge once every shard task has succeeded.
        argv = [binary, "merge", pipeline, "--partials", partials, "--count", str(n),
                "--out", out, *periods]
        if a.force:
            argv.append("--force")
        if a.quiet:
            argv.append("-q")
        return _call(argv)

    try:
        sliced = [bucket.remote(m) for m in range(a.slices)]
        done = [shard.remote(k, *sliced) for k in range(n)]
        return ray.get(merge.remote(*done))
    finally:
        ray.shutdown()
        if not a.partials:
            shutil.rmtree(partials, ignore_errors=True)


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    try:
        printed = run(a)
    except Exception as e:  # a task's error comes wrapped by Ray: its cause says what failed
        cause = e
        while getattr(cause, "cause", None) is not None:
            cause = cause.cause
        said = str(cause)
        print(said if said.startswith("error:") else f"error: {said}", file=sys.stderr)
        return 1 if isinstance(cause, BadInput) else 2
    if printed and not a.quiet:
        print(printed, end="")
    return 0
