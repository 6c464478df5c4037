#!/usr/bin/env bash
# Benchmark: a run as N shards and a merge, one after the other on this machine, against `run`.
# Usage: bench/shards.sh BIN DIR PIPELINE [COUNTS]    e.g. bench/shards.sh target/dist/factorscore /tmp/fsb-scale/s10 pipeline.yaml "1 2 4"
# Prints, per count: each shard's wall time and peak RSS, the size of a part, and the merge's
# wall time and peak RSS (from /usr/bin/time); then checks the merge wrote run's tables (md5).
set -euo pipefail
bin=$(realpath "$1"); dir=$2; pipeline=$3; counts=${4:-"1 2 4"}
cd "$dir"
t() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
sums() { (cd "$1/_current" && find . -name '*.parquet' -not -path '*_checkpoint*' | sort | xargs md5sum | md5sum | cut -c1-12); }
read -r w m < <(t "$bin" run "$pipeline" --out /tmp/shards-run -q --full --force)
echo "run: wall ${w} s, peak $((m / 1024)) MiB, tables $(sums /tmp/shards-run)"
for n in $counts; do
    rm -rf /tmp/shards-parts
    line="N=$n shards:"
    for k in $(seq 0 $((n - 1))); do
        read -r w m < <(t "$bin" shard "$pipeline" --index "$k" --count "$n" --out /tmp/shards-parts -q)
        line="$line [$k: ${w} s, $((m / 1024)) MiB]"
    done
    size=$(du -m /tmp/shards-parts/part-00000-of-*.fspart | cut -f1)
    rm -rf /tmp/shards-merge
    read -r w m < <(t "$bin" merge "$pipeline" --partials /tmp/shards-parts --count "$n" --out /tmp/shards-merge -q --force)
    echo "$line; a part ${size} MB; merge ${w} s, $((m / 1024)) MiB, tables $(sums /tmp/shards-merge)"
done
