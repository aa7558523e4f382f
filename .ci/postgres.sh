#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL on 127.0.0.1 for the test suite.
#   .ci/postgres.sh start   -> prints the DATABASE_URL to use
#   .ci/postgres.sh stop
#   .ci/postgres.sh restart   (a fast restart: every connection is cut, as in a failover)
# PGTEST_PORT and PGTEST_DATA choose another server; PGTEST_DURABLE=1 keeps fsync on, for data that is kept.
set -euo pipefail
PORT=${PGTEST_PORT:-54329}
DATA=${PGTEST_DATA:-/tmp/marketplace-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
OPTIONS="-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=/tmp -c max_connections=200"
[ "${PGTEST_DURABLE:-0}" = 1 ] || OPTIONS="$OPTIONS -c fsync=off"  # a throw-away server need not survive a crash

source "$(dirname "$0")/apt-install.sh"

install_postgres() {
  if [ -z "$BIN" ]; then
    apt_install postgresql
    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-}" in
  start)
    install_postgres
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
      as_postgres "$BIN/initdb -D $DATA --auth=trust -U postgres -E UTF8" >/dev/null
    fi
    as_postgres "$BIN/pg_ctl -D $DATA status" >/dev/null 2>&1 \
      || as_postgres "$BIN/pg_ctl -D $DATA -l $DATA/server.log -w -o '$OPTIONS' start" >&2
    as_postgres "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -tc \"SELECT 1 FROM pg_database WHERE datname='marketplace'\"" | grep -q 1 \
      || as_postgres "$BIN/createdb -h 127.0.0.1 -p $PORT -U postgres marketplace"
    echo "postgres://postgres@127.0.0.1:$PORT/marketplace"
    ;;
  restart)
    as_postgres "$BIN/pg_ctl -D $DATA -m fast -w stop" >&2
    as_postgres "$BIN/pg_ctl -D $DATA -l $DATA/server.log -w -o '$OPTIONS' start" >&2
    ;;
  stop)
    [ -n "$BIN" ] && [ -f "$DATA/postmaster.pid" ] && as_postgres "$BIN/pg_ctl -D $DATA -m fast stop" >&2 || true
    ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
