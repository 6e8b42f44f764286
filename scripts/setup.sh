#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the requirements (REQUIREMENTS=file to choose).
# An install that succeeded is remembered by the requirements' checksum in .venv, so a
# second run with unchanged requirements installs nothing (remove .venv to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
REQUIREMENTS=${REQUIREMENTS:-requirements.txt}
if [ ! -x .venv/bin/python ]; then
  # Without pip (installing it takes seconds): uv installs the packages.
  "$PYTHON" -m venv --without-pip .venv
fi
# requirements-dev.txt includes requirements.txt: both count.
STAMP=.venv/.installed-$(basename "$REQUIREMENTS")
SUM=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$SUM" ]; then
  # uv (from PyPI) installs the same packages from PyPI about three times faster
  # than pip. Bytecode is compiled on first import (see scripts/test.sh): only
  # what runs gets compiled.
  # uv into .venv by this Python's pip (pip >= 22.3 targets another environment),
  # or by .venv's own pip where this Python has none.
  if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
    "$PYTHON" -m pip --python .venv/bin/python install --quiet \
      --disable-pip-version-check uv 2>/dev/null \
      || { .venv/bin/python -m ensurepip --default-pip >/dev/null \
        && .venv/bin/python -m pip install --quiet --disable-pip-version-check uv; }
  fi
  .venv/bin/python -m uv pip install --quiet --python .venv/bin/python -r "$REQUIREMENTS"
  echo "$SUM" >"$STAMP"
fi
