#!/usr/bin/env bash
# Benchmark: the full monthly backfill of a scaled company in a `dist` build (fat LTO).
# Usage: bench/backfill.sh [s10|s20] [csv|parquet]
# Prints the wall time and peak memory (max RSS) of `factorscore run`.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-s10}
format=${2:-csv}
data=${BENCH_DIR:-/tmp/factorscore-bench}/$preset-$format
cargo build --profile dist --quiet
bin=target/dist/factorscore
if [ ! -f "$data/.done" ]; then
  echo "generating $preset ($format) in $data ..."
  rm -rf "$data"
  "$bin" generate --preset "$preset" --format "$format" --out "$data"
  touch "$data/.done"
fi
ext=$format
cat > "$data/pipeline.yaml" <<YAML
name: bench-$preset
base_currency: CNY
timezone: Asia/Shanghai
grain: month
sources:
$(for t in invoices collections write_offs fees applications assignments employees org_history fx_rates reviews targets adjustments; do echo "  $t: { path: $t.$ext }"; done)
output: { path: out }
YAML
du -sh "$data" | sed 's/^/input size: /'
/usr/bin/time -f 'wall %e s, peak RSS %M KiB, user %U s, sys %S s' "$bin" run "$data/pipeline.yaml" 2>&1 | grep -v 'rows read'
