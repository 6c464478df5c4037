#!/bin/sh
# factorscore on Slurm: an array job of bucket slices, then an array job of shards once every
# slice succeeded, then the merge once every shard succeeded.
#
#   deploy/slurm/submit.sh PIPELINE COUNT PARTS_DIR [OUT] [period options of `factorscore run`]
#   e.g. deploy/slurm/submit.sh /shared/pipeline.yaml 8 /shared/parts /shared/scores --period 2026-10
#   With `--period previous`, the period is named here once (`factorscore run --dry-run`), so every
#   part and the merge compute the same one whenever they start.
#
# PARTS_DIR must be on a file system every node mounts. SLICES (environment; COUNT by default)
# bucket tasks run `factorscore bucket` into PARTS_DIR/buckets, each a slice of the input files;
# SLICES=0 skips them, and each shard then reads every input. Each shard task runs
# `factorscore shard` with its index from SLURM_ARRAY_TASK_ID. Each step depends on the whole
# array before it with `afterok` (it never starts if a task failed, and is then cancelled). Prints
# the merge job's id. `factorscore` is found on PATH, or set FACTORSCORE to its path; sbatch options such as
# the partition or the account come from the environment (SBATCH_PARTITION, SBATCH_ACCOUNT) or
# the #SBATCH lines of shard.sbatch and merge.sbatch.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 PIPELINE COUNT PARTS_DIR [OUT] [period options]" >&2
    exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
pipeline=$1 count=$2 parts=$3
shift 3
out=""
case "${1:-}" in
    ""|-*) ;;
    *) out=$1; shift ;;
esac
fs=${FACTORSCORE:-factorscore}
skip=""
case " $* " in
    *" --period previous "*)
        named=$("$fs" run "$pipeline" --dry-run "$@" | sed -n 's/.*(\([^ ]*\) \.\. .*/\1/p' | head -n 1)
        [ -n "$named" ] || { echo "error: could not name the period before '$*'" >&2; exit 1; }
        # The same options, the period named and its --as-of dropped.
        for arg in "$@"; do
            shift
            case "$skip$arg" in
                1*) skip="" ;;
                previous) set -- "$@" "$named" ;;
                --as-of) skip=1 ;;
                *) set -- "$@" "$arg" ;;
            esac
        done
        ;;
esac
mkdir -p "$parts"
slices=${SLICES:-$count}
buckets=- after=""
if [ "$slices" -gt 0 ]; then
    buckets=$parts/buckets
    sliced=$(sbatch --parsable --array="0-$((slices - 1))" --job-name=factorscore-bucket \
        --output="$parts/bucket-%A_%a.log" "$here/bucket.sbatch" "$pipeline" "$slices" "$count" "$buckets")
    after="--dependency=afterok:${sliced%%;*} --kill-on-invalid-dep=yes"
fi
# shellcheck disable=SC2086 # $after is two options or none
shards=$(sbatch --parsable $after --array="0-$((count - 1))" --job-name=factorscore-shard \
    --output="$parts/shard-%A_%a.log" "$here/shard.sbatch" "$pipeline" "$count" "$parts" "$buckets" "$@")
shards=${shards%%;*}
sbatch --parsable --dependency="afterok:$shards" --kill-on-invalid-dep=yes \
    --job-name=factorscore-merge --output="$parts/merge-%j.log" \
    "$here/merge.sbatch" "$pipeline" "$count" "$parts" "${out:--}" "$@"
