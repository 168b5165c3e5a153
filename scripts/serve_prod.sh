#!/usr/bin/env bash
# `make serve-prod`: the production topology on one machine.
#
#   gunicorn (WEB_WORKERS sync processes, one request each)           ┐
#   ERFLOW_WORKERS × `flask erflow worker` (timers, deadlines)        ├─ one PostgreSQL (DATABASE_URL)
#
# DATABASE_URL set: that database is migrated (`flask db upgrade`) and used as it is.
# DATABASE_URL unset (demo only): a throwaway PostgreSQL cluster is started in a temp dir with
# tests/pg.py (fsync off: NOT durable), migrated, deployed and seeded with the demo data; it is
# deleted when this script stops. Never use that mode for real data.
#
# Environment: HOST (127.0.0.1), PORT (8000), WEB_WORKERS (2×cores+1), WEB_WORKER_CLASS (sync;
# gthread with WEB_THREADS threads is the alternative, see docs/operations.md "Load"),
# ERFLOW_WORKERS (2), ERFLOW_WORKER_INTERVAL (5 s), SECRET_KEY (random per run when unset),
# ERFLOW_SECURE_COOKIES (0 here: plain HTTP on localhost; keep the default 1 behind TLS),
# SEED_DEMO (1 with the throwaway cluster, else 0), DEPLOY_BPMN (1).
# Ctrl-C (or SIGTERM) stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN="$VENV/bin"
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
CORES=$(nproc 2>/dev/null || echo 2)
WEB_WORKERS=${WEB_WORKERS:-$((2 * CORES + 1))}
WEB_WORKER_CLASS=${WEB_WORKER_CLASS:-sync}
WEB_THREADS=${WEB_THREADS:-1}
ERFLOW_WORKERS=${ERFLOW_WORKERS:-2}
DEPLOY_BPMN=${DEPLOY_BPMN:-1}

export ERFLOW_ENV=production
export ERFLOW_SECURE_COOKIES=${ERFLOW_SECURE_COOKIES:-0}
export ERFLOW_WORKER_INTERVAL=${ERFLOW_WORKER_INTERVAL:-5}
if [ -z "${SECRET_KEY:-}" ]; then
  SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
  echo "serve-prod: SECRET_KEY unset; using a random key for this run (sessions end with it)" >&2
fi
export SECRET_KEY

pids=()
workdir=$(mktemp -d)
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  SEED_DEMO=${SEED_DEMO:-1}
  echo "serve-prod: DATABASE_URL unset: starting a THROWAWAY PostgreSQL cluster (demo only)" >&2
  PYTHONPATH=. "$BIN/python" - "$workdir/url" <<'EOF' &
import os, signal, sys, threading
from psycopg import sql
from tests.pg import start_server
stop = threading.Event()  # handlers first: a TERM during start-up still stops the cluster
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
server = start_server()
server._execute(sql.SQL("CREATE DATABASE erflow"))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(server.url("erflow"))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
stop.wait()
server.stop()
EOF
  pids+=($!)
  for _ in $(seq 600); do [ -s "$workdir/url" ] && break; sleep 0.1; done
  [ -s "$workdir/url" ] || { echo "serve-prod: PostgreSQL did not start" >&2; exit 1; }
  DATABASE_URL=$(cat "$workdir/url")
fi
export DATABASE_URL
SEED_DEMO=${SEED_DEMO:-0}

FLASK=("$BIN/flask" --app wsgi)
"${FLASK[@]}" db upgrade
[ "$DEPLOY_BPMN" = 1 ] && "${FLASK[@]}" erflow deploy bpmn/
[ "$SEED_DEMO" = 1 ] && "${FLASK[@]}" erflow seed-demo

for i in $(seq "$ERFLOW_WORKERS"); do
  "${FLASK[@]}" erflow worker &
  pids+=($!)
done
# sync: a process takes a connection only when it is free, so the load spreads evenly over the
# processes (a gthread process keeps its keep-alive connections and may get more than its share).
"$BIN/gunicorn" --worker-class "$WEB_WORKER_CLASS" --workers "$WEB_WORKERS" \
  --threads "$WEB_THREADS" --bind "$HOST:$PORT" --keep-alive 30 --graceful-timeout 20 \
  --timeout 60 --error-logfile - ${GUNICORN_ARGS:-} wsgi:app &  # access lines: app/ops JSON logs
pids+=($!)
echo "serve-prod: http://$HOST:$PORT/ — gunicorn $WEB_WORKERS×$WEB_WORKER_CLASS," \
  "$ERFLOW_WORKERS timer workers, PostgreSQL; Ctrl-C stops all" >&2
wait -n "${pids[@]}"  # one process ending takes the whole topology down (no silent half-run)
echo "serve-prod: a process exited; stopping the others" >&2
