#!/usr/bin/env bash
# Benchmark: the scheduled monthly run on the output's checkpoint, against the same run reading
# every file (`--full`), on a scaled company whose large tables are one Parquet file per month.
# Usage: bench/monthly.sh [s1|s10|s20] [runs] [BIN]
# The company's last month (2026-12) is held back; a backfill of 2017-01 .. 2026-11 writes the
# output and its checkpoint; the month's files are added; then each timed run starts from a
# hard-linked copy of that output (so every run finds the same checkpoint) and computes 2026-12.
# Prints farm-bench's figures if it is installed, else /usr/bin/time's, and checks that both
# runs write the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-s10}
runs=${2:-5}
bin=${3:-}
if [ -z "$bin" ]; then
  cargo build --profile dist --quiet
  bin=$PWD/target/dist/factorscore
fi
data=${BENCH_DIR:-/tmp/factorscore-bench}/$preset-monthly
tables="applications invoices collections write_offs fees"
if [ ! -f "$data/.done" ]; then
  echo "generating $preset (monthly Parquet files) in $data ..."
  rm -rf "$data"
  "$bin" generate --preset "$preset" --format parquet --monthly --out "$data" > /dev/null
  touch "$data/.done"
fi
cat > "$data/pipeline.yaml" <<YAML
name: bench-$preset-monthly
base_currency: CNY
timezone: Asia/Shanghai
grain: month
sources:
$(for t in $tables; do echo "  $t: { path: \"$t/*.parquet\" }"; done)
$(for t in assignments employees org_history fx_rates reviews targets adjustments; do echo "  $t: { path: $t.parquet }"; done)
output: { path: out }
metrics:
- { name: nonrecourse_cash, description: Cash on non-recourse invoices, table: collections, agg: sum, column: amount, filter: invoice.recourse = false }
- { name: distinct_debtors, description: Debtors of the period's invoices, table: invoices, agg: count_distinct, column: debtor_id }
YAML
held="$data/held"
mkdir -p "$held"
for t in $tables; do [ -f "$data/$t/$t-2026-12.parquet" ] && mv "$data/$t/$t-2026-12.parquet" "$held/"; done
rm -rf "$data/out"
echo "backfill 2017-01 .. 2026-11 (writes the checkpoint):"
/usr/bin/time -f '  wall %e s, peak RSS %M KiB' "$bin" run "$data/pipeline.yaml" --from 2017-01 --to 2026-11 -q
du -sh "$data/out/_current/_checkpoint" | sed 's/^/  checkpoint: /'
for t in $tables; do [ -f "$held/$t-2026-12.parquet" ] && mv "$held/$t-2026-12.parquet" "$data/$t/"; done
cat > "$data/monthly.sh" <<SH
#!/bin/sh
# One run of 2026-12 on a hard-linked copy of the backfill's output: monthly.sh BIN [--full]
cd "$data" && rm -rf out-m && cp -al out out-m && b="\$1" && shift && exec "\$b" run pipeline.yaml --period 2026-12 --out out-m -q "\$@"
SH
chmod +x "$data/monthly.sh"
sync
if command -v farm-bench > /dev/null; then
  farm-bench -n "$runs" --timeout 1200 --vs "$data/monthly.sh $bin --full" -- "$data/monthly.sh" "$bin"
else
  for k in $(seq "$runs"); do
    /usr/bin/time -f '  on the checkpoint: wall %e s, peak RSS %M KiB' "$data/monthly.sh" "$bin"
    /usr/bin/time -f '  reading every file: wall %e s, peak RSS %M KiB' "$data/monthly.sh" "$bin" --full
  done
fi
# The same bytes: the month's partitions and the rejects table, on the checkpoint and not.
sums() { (cd "$data/out-m/_current" && find . -name '*.parquet' -not -path './_checkpoint/*' | sort | xargs md5sum); }
"$data/monthly.sh" "$bin"; a=$(sums)
"$data/monthly.sh" "$bin" --full; b=$(sums)
if [ "$a" = "$b" ]; then echo "outputs: the same bytes ($(echo "$a" | wc -l) files)"; else echo "outputs DIFFER"; exit 1; fi
