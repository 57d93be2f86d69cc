# Sourced by bench/run: a PostgreSQL cluster of the benchmark's own, and databases filled by
# bench/generate.rs. Nothing here touches another server on the machine.

BENCH_DIR=${BENCH_DIR:-/var/tmp/dateline-bench}
PG_PORT=${BENCH_PG_PORT:-5499}
PG_DATA="$BENCH_DIR/pgdata"
PG_SOCKET="$BENCH_DIR/socket"
# Bump when the generator's output changes, so that old databases are not reused.
GENERATOR_VERSION=2
# Where the dateline binary and the generator example were built.
BIN_DIR=${BIN_DIR:-target/release}

pg_bindir() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin; do
    [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pgbench" ] && { echo "$dir"; return 0; }
  done
  dirname "$(command -v pg_ctl)"
}

# PostgreSQL refuses to run as root; root runs it as the `postgres` user, as dateline does.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_start() {
  PG_BIN=$(pg_bindir)
  mkdir -p "$BENCH_DIR" "$PG_SOCKET"
  if [ "$(id -u)" = 0 ]; then chown postgres "$BENCH_DIR" "$PG_SOCKET"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    echo "==> initdb $PG_DATA" >&2
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --locale=C --encoding=UTF8 >/dev/null
  fi
  # A cluster left running by an interrupted run is restarted with the settings below.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  # Reads are what is measured; the settings below only speed up the load. shared_buffers holds the
  # hot indexes and the newest rows, not all 1,000,000 bodies.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$BENCH_DIR/postgres.log" -w start -o "\
    -c listen_addresses='' -c port=$PG_PORT -c unix_socket_directories='$PG_SOCKET' \
    -c shared_buffers=2GB -c max_connections=200 -c synchronous_commit=off \
    -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=4GB -c checkpoint_timeout=30min \
    -c maintenance_work_mem=1GB -c logging_collector=off -c log_line_prefix='%m [%p] '" >/dev/null
}

cluster_stop() {
  [ -n "${PG_BIN:-}" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
}

db_url() { echo "postgres://postgres@/$1?host=$PG_SOCKET&port=$PG_PORT"; }

bench_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -p "$PG_PORT" -U postgres "$@"; }

# Creates database `bench_N` with N generated articles, unless it is already there and complete.
ensure_database() {
  local n=$1 db="bench_$1" marker="dateline-bench generator=$GENERATOR_VERSION articles=$1"
  local have
  have=$(bench_psql -d postgres -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
  if [ "$have" = "$marker" ]; then
    echo "==> reusing $db" >&2
    # Migrations added since it was generated are applied here, not in the first server's start.
    DATABASE_URL=$(db_url "$db") "$BIN_DIR/dateline" migrate >&2
    return 0
  fi
  echo "==> generating $n articles into $db (1,000,000 take 12 to 25 minutes on 2 cores)" >&2
  bench_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  DATABASE_URL=$(db_url "$db") "$BIN_DIR/dateline" migrate >&2
  DATABASE_URL=$(db_url "$db") "$BIN_DIR/examples/generate" --articles "$n"
  bench_psql -d postgres -c "COMMENT ON DATABASE $db IS '$marker'"
}
