#!/usr/bin/env bash
# Makes a PostgreSQL server reachable for the tests and exports DATABASE_URL
# (the server's own "postgres" database; the tests create and drop their
# own databases on it). Sourced by test.sh; serving needs no PostgreSQL.
#   - DATABASE_URL already set: used as it is.
#   - A server answering on 127.0.0.1:5432 with trust for user postgres
#     (these machines): used.
#   - Otherwise, as root: Debian's postgresql is installed if missing, its
#     cluster started, and a password set for the postgres user.
pg_step() { printf '\n==> %s\n' "$*"; }
pg_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

pg_step "PostgreSQL for the storage tests"
if [ -n "${DATABASE_URL:-}" ]; then
  echo "    using DATABASE_URL"
else
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  if command -v psql >/dev/null && psql "$DATABASE_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
    echo "    present on 127.0.0.1:5432"
  else
    if ! command -v pg_ctlcluster >/dev/null; then
      echo "    installing Debian's postgresql with apt-get"
      pg_as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive pg_as_root apt-get install -y -qq postgresql >/dev/null
    fi
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    echo "    starting cluster $version/main"
    pg_as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_as_root pg_ctlcluster "$version" main start || true
    for _ in $(seq 1 50); do
      pg_as_root runuser -u postgres -- psql -Atqc 'SELECT 1' >/dev/null 2>&1 && break
      sleep 0.2
    done
    if ! psql "$DATABASE_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
      # Debian's default asks for a password over TCP: give the test user one.
      pg_as_root runuser -u postgres -- psql -Atqc "ALTER USER postgres PASSWORD 'billing-tests'" >/dev/null
      export DATABASE_URL="postgres://postgres:billing-tests@127.0.0.1:5432/postgres"
    fi
    psql "$DATABASE_URL" -Atqc 'SELECT 1' >/dev/null || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
    echo "    running on 127.0.0.1:5432"
  fi
fi
