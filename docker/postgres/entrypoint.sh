#!/bin/sh
# pgdrill's PostgreSQL entrypoint for the locally built image. Like the
# official image's: on first start (an empty $PGDATA) it runs initdb as the
# postgres user, with data checksums, the superuser POSTGRES_USER (default
# postgres) with POSTGRES_PASSWORD (scram-sha-256 over TCP), and creates
# POSTGRES_DB when it is not "postgres"; then it runs the server as postgres
# with the arguments given (`postgres -c name=value ...`).
set -eu
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
BIN=/usr/lib/postgresql/15/bin
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  # Volumes mounted for WAL archives and backups belong to the server's account.
  for d in ${PGDRILL_OWNED_DIRS:-}; do mkdir -p "$d"; chown postgres:postgres "$d"; done
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: POSTGRES_PASSWORD is not set; set it (pgdrill always does)" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres "$BIN/initdb" -D "$PGDATA" --data-checksums -U "$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  printf "host all all all scram-sha-256\nhost replication all all scram-sha-256\n" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    as_postgres "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
    as_postgres "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
    as_postgres "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -s stop
  fi
fi

if [ "${1:-postgres}" = postgres ]; then
  [ $# -gt 0 ] && shift
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$BIN/postgres" -D "$PGDATA" "$@"
fi
exec "$@"
