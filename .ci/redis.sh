#!/usr/bin/env bash
# Start, stop or restart a throw-away Redis on 127.0.0.1 for the fault suite (installed from apt if missing).
#   .ci/redis.sh start     -> prints the REDIS_URL to use
#   .ci/redis.sh stop | restart
# REDISTEST_PORT and REDISTEST_DATA choose another server; REDISTEST_DURABLE=1 keeps its data (an append-only
# file in REDISTEST_DATA) across a stop and a start.
set -euo pipefail
PORT=${REDISTEST_PORT:-63790}
DATA=${REDISTEST_DATA:-/tmp/marketplace-redis}
SERVER=/usr/bin/redis-server
APPENDONLY=no
if [ "${REDISTEST_DURABLE:-0}" = 1 ]; then APPENDONLY=yes; fi

source "$(dirname "$0")/apt-install.sh"

running() { redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; }

start() {
  if [ ! -x "$SERVER" ]; then
    apt_install redis-server
  fi
  mkdir -p "$DATA"
  if ! running; then
    "$SERVER" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly "$APPENDONLY" --dir "$DATA" \
      --daemonize yes --pidfile "$DATA/redis.pid" --logfile "$DATA/redis.log"
    for _ in $(seq 50); do running && break; sleep 0.1; done
  fi
  echo "redis://127.0.0.1:$PORT/0"
}

stop() {
  running && redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do running || return 0; sleep 0.1; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start >/dev/null ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
