#!/usr/bin/env bash
# Run every benchmark (benchmarks/*/bench_*.py) in the separate benchmark venv (.venv-bench),
# which holds the project's pinned requirements plus the peer libraries of
# benchmarks/requirements.txt (kept out of requirements.txt). Extra arguments go to each script.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null || python_bin=python3
stamp="$venv/.installed"
if [ ! -x "$venv/bin/python" ]; then
  echo "[bench] creating $venv"
  "$python_bin" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ benchmarks/requirements.txt -nt "$stamp" ]; then
  echo "[bench] installing requirements.txt + benchmarks/requirements.txt into $venv"
  reqs=(-r requirements.txt -r benchmarks/requirements.txt -c requirements.txt)
  # uv from the project venv (scripts/setup_venv.sh installs it), else pip in the bench venv
  if .venv/bin/python -m uv --version >/dev/null 2>&1; then
    .venv/bin/python -m uv pip install -q --python "$venv/bin/python" "${reqs[@]}"
    .venv/bin/python -m uv pip install -q --python "$venv/bin/python" --no-deps -e .
  else
    "$venv/bin/python" -m ensurepip -q 2>/dev/null || true
    "$venv/bin/python" -m pip install -q "${reqs[@]}"
    "$venv/bin/python" -m pip install -q --no-deps -e .
  fi
  touch "$stamp"
fi
status=0
for script in benchmarks/*/bench_*.py; do
  echo "=== $script"
  "$venv/bin/python" "$script" "$@" || status=$?
done
exit $status
