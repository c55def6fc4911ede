#!/usr/bin/env bash
# Starts a throw-away PostgreSQL (Debian's packages) on loopback for the second test run, in its own
# data folder and port, independent of any cluster the machine may have.
# Usage: .ci/postgres.sh start|stop   (prints nothing on success but the server's own log lines)
set -euo pipefail
PGPORT=${PGPORT:-55432}
PGDATA_DIR=${PGDATA_DIR:-/tmp/bonemarrow-ci-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

case "${1:-start}" in
start)
  if [ -z "$BIN" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  rm -rf "$PGDATA_DIR"; mkdir -p "$PGDATA_DIR"; chown postgres:postgres "$PGDATA_DIR"
  su postgres -c "$BIN/initdb -D $PGDATA_DIR -U postgres --auth=trust -E UTF8 >/dev/null"
  su postgres -c "$BIN/pg_ctl -D $PGDATA_DIR -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1' -l $PGDATA_DIR/log -w start >/dev/null"
  su postgres -c "psql -h 127.0.0.1 -p $PGPORT -U postgres -qc \"CREATE USER bonemarrow PASSWORD 'bonemarrow-ci'\""
  su postgres -c "psql -h 127.0.0.1 -p $PGPORT -U postgres -qc 'CREATE DATABASE bonemarrow OWNER bonemarrow'"
  echo "PostgreSQL on 127.0.0.1:$PGPORT, database bonemarrow"
  ;;
stop)
  [ -n "$BIN" ] && su postgres -c "$BIN/pg_ctl -D $PGDATA_DIR -m fast stop >/dev/null" || true
  ;;
esac
