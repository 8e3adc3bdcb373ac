#!/bin/sh
# Runs a command with a throwaway PostgreSQL server for the engine tests:
#   sh scripts/with-test-postgres.sh swift test ...
# initdb into a temporary folder, a free loopback port, password login
# (scram-sha-256) for a test role that is not a superuser, then the
# command with KITH_TEST_POSTGRES and PGPASSFILE set, then the server is
# stopped and the folder removed, whatever the command did.
# PostgreSQL's server packages are installed with apt-get when missing.
set -eu

find_bindir() {
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

if ! BINDIR=$(find_bindir); then
    echo "kith: PostgreSQL's server is not installed; installing it with apt-get for the engine tests." >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "kith: cannot install postgresql: not root and sudo is not available." >&2
        echo "      Install it yourself (Debian/Ubuntu: apt-get install postgresql), then run make test again." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql; }; then
        echo "kith: apt-get could not install postgresql. Check the network and package sources, then run make test again." >&2
        exit 1
    fi
    # The package may start a cluster of its own on 5432; the tests do not use it.
    BINDIR=$(find_bindir) || { echo "kith: postgresql was installed but initdb was not found." >&2; exit 1; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kith-test-pg.XXXXXX")
chmod 755 "$WORK"
# initdb refuses to run as root: the server then runs as the postgres user.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    AS="runuser -u postgres --"
    mkdir "$WORK/data" "$WORK/socket" "$WORK/log"
    chown postgres "$WORK/data" "$WORK/socket" "$WORK/log"
else
    AS=""
    mkdir "$WORK/data" "$WORK/socket" "$WORK/log"
fi

stop() {
    $AS "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT INT TERM

$AS "$BINDIR/initdb" -D "$WORK/data" -U kith_admin --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-instructions >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2; echo "kith: initdb failed (above)." >&2; exit 1; }

# A free loopback port: try a few from a per-process start.
PORT=""
base=$((20000 + $$ % 20000))
for offset in 0 1 2 3 4 5 6 7; do
    candidate=$((base + offset * 211))
    if $AS "$BINDIR/pg_ctl" -D "$WORK/data" -w -t 60 -l "$WORK/log/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $candidate -k $WORK/socket -c max_connections=200" start >/dev/null 2>&1; then
        PORT=$candidate
        break
    fi
done
if [ -z "$PORT" ]; then
    cat "$WORK/log/server.log" >&2 2>/dev/null || true
    echo "kith: the throwaway PostgreSQL server did not start (log above)." >&2
    exit 1
fi

# A role like the one docs/operations.md asks operators for (no superuser),
# plus CREATEDB so each test gets a database of its own. Test-only password,
# made for this run.
PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
$AS "$BINDIR/psql" -X -q -h "$WORK/socket" -p "$PORT" -U kith_admin -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE ROLE kith_test LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD '$PASSWORD';
CREATE DATABASE kith_test OWNER kith_test;
-- The erasure tests flush the server's buffers to its files before scanning them (PostgreSQL 15 and later).
DO \$\$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_checkpoint') THEN GRANT pg_checkpoint TO kith_test; END IF;
END \$\$;
SQL
printf '127.0.0.1:%s:*:kith_test:%s\n' "$PORT" "$PASSWORD" >"$WORK/pgpass"
chmod 600 "$WORK/pgpass"

echo "kith: throwaway PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT for the engine tests." >&2
export KITH_TEST_POSTGRES="postgres://kith_test@127.0.0.1:$PORT/kith_test?sslmode=disable"
export PGPASSFILE="$WORK/pgpass"
# The server's data folder, so the erasure tests can scan its table files for what was erased.
export KITH_TEST_POSTGRES_DATA="$WORK/data"
unset PGPASSWORD PGUSER PGSSLMODE PGSSLROOTCERT
status=0
"$@" || status=$?
exit $status
