#!/usr/bin/env bash
# Refreshes the README's screenshots of the report (docs/report-overview.png and
# docs/report-statement.png) from the bundled sample: runs it, writes the report with one page per
# employee, and photographs the overview and one statement in Chromium (tests/browser/check_report.py).
# Needs what scripts/install-test-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# FACTORSCORE=path/to/binary skips the release build.
bin=${FACTORSCORE:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=target/release/factorscore
fi
"$bin" run pipelines/monthly.yaml --out "$tmp/out" -q
"$bin" report "$tmp/out" --split "$tmp/out/statements"
page="$tmp/out/report.html"
svgs=$(grep -o '<svg ' "$page" | wc -l)
python3 tests/browser/check_report.py "$page" --sections 0 --svgs "$svgs" --screenshot docs/report-overview.png
employee=${EMPLOYEE:-E00001}
statement="$tmp/out/statements/$employee.html"
svgs=$(grep -o '<svg ' "$statement" | wc -l)
python3 tests/browser/check_report.py "$statement" --sections 1 --svgs "$svgs" --screenshot docs/report-statement.png
ls -l docs/report-overview.png docs/report-statement.png
