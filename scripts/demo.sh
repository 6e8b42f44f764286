#!/usr/bin/env bash
# Set up and start evalsite with the LLMFAO demo on the embedded defaults:
# SQLite under var/, a filesystem Celery broker, gunicorn and a Celery worker.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let Python keep compiled bytecode (__pycache__, git-ignored) even where the
# environment sets PYTHONDONTWRITEBYTECODE: otherwise every process started here
# (manage.py, gunicorn, the Celery worker) compiles each module it imports from
# source again, and a Django start costs 10 s of CPU instead of 3.
unset PYTHONDONTWRITEBYTECODE
PORT=${PORT:-8000}
bash scripts/setup.sh
export DJANGO_DEBUG=${DJANGO_DEBUG:-false}
# One cache for the web processes and the worker, in files under var/cache (no server):
# background reports, import progress and the token cache are then seen by all of them.
export CACHE_URL=${CACHE_URL:-file://}
# The demo's own secret key, made once and kept in var/ (git-ignored).
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  mkdir -p var
  if [ ! -s var/secret_key ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' \
      >var/secret_key)
  fi
  DJANGO_SECRET_KEY=$(cat var/secret_key)
  export DJANGO_SECRET_KEY
fi
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py load_demo

# Started again whenever it stops (scripts/keep_running.sh).
: >var/worker.log
bash scripts/keep_running.sh var/worker.log .venv/bin/python -m celery -A evalsite \
  worker --loglevel=warning --concurrency=2 --pool=threads &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

echo
echo "evalsite is running at http://127.0.0.1:${PORT}/  (admin: /admin/, API docs: /api/docs/)"
echo "Celery worker log: var/worker.log. Press Ctrl-C to stop."
.venv/bin/python -m gunicorn evalsite.wsgi:application --bind "127.0.0.1:${PORT}" \
  --workers 2 --access-logfile - --log-level warning
