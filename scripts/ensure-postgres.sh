#!/usr/bin/env bash
# Make the PostgreSQL server the store tests use answer on 127.0.0.1:5432, with role and
# database hotline_test (password hotline_test).  Idempotent.  Works with the Debian
# `postgresql` package (postgresql-common's pg_createcluster/pg_ctlcluster), whether or not the
# package created and started its default cluster; needs root unless the server is already up
# with the test role in place (then it only checks).
set -euo pipefail

HOST=127.0.0.1
PORT=5432
ROLE=hotline_test
PASSWORD=hotline_test
DATABASE=hotline_test
TEST_DSN="postgresql://$ROLE:$PASSWORD@$HOST:$PORT/$DATABASE"

say() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: $*" >&2; exit 1; }

# The newest installed server, e.g. 15 on Debian 12.
version=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null \
  | awk -F/ '{print $5}' | sort -V | tail -n 1)
[ -n "$version" ] || die "no PostgreSQL server installed (run scripts/install-system-deps.sh)"
bin=/usr/lib/postgresql/$version/bin

ready() { "$bin/pg_isready" -q -h "$HOST" -p "$PORT" -t "${1:-1}"; }
# CREATEDB: parallel test workers (pytest-xdist) each create their own database.
test_login_works() {
  [ "$(PGCONNECT_TIMEOUT=5 "$bin/psql" "$TEST_DSN" -qAtX \
    -c 'SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user' 2>/dev/null)" = t ]
}

if ready && test_login_works; then
  say "PostgreSQL on $HOST:$PORT already has $ROLE/$DATABASE"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "PostgreSQL on $HOST:$PORT is not ready for the tests; run me as root"

# The cluster on our port, else Debian's default cluster name for this version.
cluster=$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" -v p="$PORT" '$1 == v && $3 == p {print $2; exit}')
if [ -z "$cluster" ]; then
  cluster=main
  if [ -d "/etc/postgresql/$version/$cluster" ]; then
    die "cluster $version/$cluster exists but does not use port $PORT; fix it or remove it"
  fi
  say "creating cluster $version/$cluster on port $PORT"
  pg_createcluster "$version" "$cluster" --port "$PORT" >/dev/null
fi

# Local connections only, in a drop-in so Debian's postgresql.conf stays untouched (it
# includes conf.d last).  A changed setting needs a restart if the server is running.
dropin=/etc/postgresql/$version/$cluster/conf.d/hotline-test.conf
want="listen_addresses = '$HOST'"
if [ "$(cat "$dropin" 2>/dev/null)" != "$want" ]; then
  install -d -o postgres -g postgres "$(dirname "$dropin")"
  printf '%s\n' "$want" >"$dropin"
  chown postgres:postgres "$dropin"
  if pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then
    say "restarting $version/$cluster to listen on $HOST only"
    pg_ctlcluster "$version" "$cluster" restart
  fi
fi

if ! pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then
  say "starting cluster $version/$cluster"
  pg_ctlcluster "$version" "$cluster" start
fi
ready 30 || die "cluster $version/$cluster started but $HOST:$PORT does not answer"

# As the postgres superuser over the Unix socket (peer authentication).
as_postgres() { (cd / && runuser -u postgres -- "$bin/psql" -p "$PORT" -qAtX -v ON_ERROR_STOP=1 "$@"); }

if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  say "creating role $ROLE"
  as_postgres -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
else
  # Also repairs a role left with another password or without LOGIN or CREATEDB.
  as_postgres -c "ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
  say "creating database $DATABASE"
  as_postgres -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

test_login_works || die "cannot log in as $ROLE on $HOST:$PORT (check pg_hba.conf: host ... scram-sha-256)"
say "PostgreSQL $version ready on $HOST:$PORT ($ROLE/$DATABASE)"
