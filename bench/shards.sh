#!/usr/bin/env bash
# Benchmark: a run as N shards and a merge, one after the other on this machine, against `run`.
# Usage: [SLICES=S] bench/shards.sh BIN DIR PIPELINE [COUNTS]
#   e.g. SLICES=1 bench/shards.sh target/dist/factorscore /tmp/fsb-scale/s20 pipeline.yaml "1 2 4"
# Prints, per count: with SLICES > 0, each bucket slice's wall time and peak RSS and the buckets'
# size (the shards then read their buckets); each shard's wall time and peak RSS, the size of a
# part, and the merge's wall time and peak RSS (from /usr/bin/time); then checks the merge wrote
# run's tables (md5).
set -euo pipefail
bin=$(realpath "$1"); dir=$2; pipeline=$3; counts=${4:-"1 2 4"}
cd "$dir"
t() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
sums() { (cd "$1/_current" && find . -name '*.parquet' -not -path '*_checkpoint*' | sort | xargs md5sum | md5sum | cut -c1-12); }
read -r w m < <(t "$bin" run "$pipeline" --out /tmp/shards-run -q --full --force)
echo "run: wall ${w} s, peak $((m / 1024)) MiB, tables $(sums /tmp/shards-run)"
for n in $counts; do
    rm -rf /tmp/shards-parts /tmp/shards-buckets
    from=()
    if [ "${SLICES:-0}" -gt 0 ]; then
        line="N=$n slices:"
        for m in $(seq 0 $((SLICES - 1))); do
            read -r w r < <(t "$bin" bucket "$pipeline" --slice "$m" --slices "$SLICES" --count "$n" --out /tmp/shards-buckets -q)
            line="$line [$m: ${w} s, $((r / 1024)) MiB]"
        done
        echo "$line; buckets $(du -sm /tmp/shards-buckets | cut -f1) MB"
        from=(--buckets /tmp/shards-buckets)
    fi
    line="N=$n shards:"
    for k in $(seq 0 $((n - 1))); do
        read -r w m < <(t "$bin" shard "$pipeline" --index "$k" --count "$n" "${from[@]}" --out /tmp/shards-parts -q)
        line="$line [$k: ${w} s, $((m / 1024)) MiB]"
    done
    size=$(du -m /tmp/shards-parts/part-00000-of-*.fspart | cut -f1)
    rm -rf /tmp/shards-merge
    read -r w m < <(t "$bin" merge "$pipeline" --partials /tmp/shards-parts --count "$n" --out /tmp/shards-merge -q --force)
    echo "$line; a part ${size} MB; merge ${w} s, $((m / 1024)) MiB, tables $(sums /tmp/shards-merge)"
done
