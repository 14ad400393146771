#!/usr/bin/env bash
# Create the virtualenv and install the pinned lock. uv is used when it installs (about 10x
# faster than pip); pip is the fallback so that a registry without uv still works. Bytecode is
# compiled at install: where PYTHONDONTWRITEBYTECODE is set (containers, our Dockerfile) every
# CLI call and every Airflow task would otherwise recompile pandas, scikit-learn and Airflow.
set -euo pipefail
t0=$(date +%s)
python_bin="${1:-python3.11}"
venv="${2:-.venv}"
command -v "$python_bin" >/dev/null || python_bin=python3
if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv with $python_bin"
  "$python_bin" -m venv "$venv"
fi
if "$venv/bin/python" -m pip install -q "uv==0.13.9" 2>/dev/null; then
  echo "[setup] installing requirements.txt with uv"
  "$venv/bin/python" -m uv pip install -q --compile-bytecode --python "$venv/bin/python" -r requirements.txt
else
  echo "[setup] uv unavailable, installing requirements.txt with pip"
  "$venv/bin/python" -m pip install -q --compile -r requirements.txt
fi
"$venv/bin/python" -m uv pip install -q --python "$venv/bin/python" --no-deps -e . 2>/dev/null || "$venv/bin/python" -m pip install -q --no-deps -e .
echo "[setup] done in $(( $(date +%s) - t0 )) s: $("$venv/bin/python" --version)"
