#!/usr/bin/env bash
# Make the benchmark environment bench/.venv: the anchors (pyvalhalla, osrm-bindings), the
# libraries the bench scripts use, and rescuecircle itself (editable) so scripts can import
# `routing` and `gis`. The anchors are benchmark-only: they never enter pyproject.toml.
#
# Idempotent: re-running is a no-op unless bench/requirements.txt or pyproject.toml changed
# (or FORCE=1). Usage:  bench/setup-env.sh            (PYTHON=/path/to/python3.12 to choose)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
VENV="$BENCH_DIR/.venv"
STAMP="$VENV/.installed"

PYTHON=${PYTHON:-$("$REPO_DIR/scripts/find-python.sh")}
[ -n "$PYTHON" ] || { echo "setup-env: no Python >= 3.12 found" >&2; exit 1; }

# The wheels are abi3 for CPython >= 3.12 on Linux x86_64/aarch64 and macOS arm64.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
    || { echo "setup-env: $PYTHON is older than 3.12; the anchor wheels need 3.12+" >&2; exit 1; }

if [ "${FORCE:-0}" != 1 ] && [ -f "$STAMP" ] \
   && [ "$STAMP" -nt "$BENCH_DIR/requirements.txt" ] && [ "$STAMP" -nt "$REPO_DIR/pyproject.toml" ]; then
    echo "setup-env: $VENV is up to date (FORCE=1 to reinstall)"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-env: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r "$BENCH_DIR/requirements.txt"
"$VENV/bin/python" -m pip install -q -e "$REPO_DIR"

# Fail here, not in the middle of a benchmark, if a wheel's native parts do not load.
"$VENV/bin/python" - <<'PY'
import osrm, valhalla, numpy, shapely, pyproj, routing, gis  # noqa: F401
from importlib.metadata import version
print("setup-env: ok:", ", ".join(f"{p} {version(p)}" for p in
      ("pyvalhalla", "osrm-bindings", "numpy", "shapely", "pyproj", "rescuecircle")))
PY
touch "$STAMP"
