#!/usr/bin/env bash
# Installs the real programs the tests read the outputs with: DuckDB (Python package).
set -euo pipefail
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'duckdb==1.5.6'
