#!/usr/bin/env bash
# Run a command, and start it again whenever it stops, until this script is sent
# TERM or INT (which stops the command too). Its output is appended to LOG.
#
#   bash scripts/keep_running.sh LOG COMMAND [ARG...]
#
# The demo runs its Celery worker under it: kombu's filesystem transport can stop a
# worker for good when it reads a message file another process is still writing
# (docs/operations.md).
set -uo pipefail
log=$1
shift
child=
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM INT
while true; do
  "$@" >>"$log" 2>&1 &
  child=$!
  wait "$child"
  status=$?
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) keep_running: exited with status $status;" \
    "starting it again in 1 s" >>"$log"
  sleep 1
done
