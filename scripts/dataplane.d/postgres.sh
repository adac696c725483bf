# shellcheck shell=bash
# The Postgres cluster: initdb in the state dir, logical WAL, loopback only, run as a non-root OS user.

PGDATA="$STATE/postgres/data"
PG_SUPERUSER=coexist
PG_DATABASE=coexist

# ---- postgres ----------------------------------------------------------------------------------

pg_running() { [[ -f $PGDATA/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

pg_init() {
  if [[ -f $PGDATA/PG_VERSION ]]; then
    local have; have=$(<"$PGDATA/PG_VERSION")
    [[ $have == "$V_POSTGRES" ]] \
      || die "$PGDATA holds a Postgres $have cluster but versions.json says ${V_POSTGRES}; run scripts/dataplane down --purge"
    return 0
  fi
  mkdir -p "$STATE/postgres" "$LOGS"
  touch "$LOGS/postgres.log"
  if [[ $EUID -eq 0 ]]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER does not exist (Postgres cannot run as root); set COEXIST_PG_OS_USER"
    chown "$PG_OS_USER" "$STATE/postgres" "$LOGS/postgres.log"
    as_pg test -w "$STATE/postgres" \
      || die "OS user $PG_OS_USER cannot reach $STATE/postgres (a parent dir is not traversable); set COEXIST_DATAPLANE_DIR to a path it can reach, e.g. /tmp/coexist-dataplane"
  fi
  log "postgres: initdb in $PGDATA"
  local pwfile="$STATE/postgres/.pwfile"
  (umask 077 && printf '%s\n' "$SU_PASSWORD" >"$pwfile")
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$pwfile"
  if ! as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C >>"$LOGS/postgres.log" 2>&1; then
    rm -f "$pwfile"
    log_tail "$LOGS/postgres.log"
    die "initdb failed; see $LOGS/postgres.log"
  fi
  rm -f "$pwfile"
  printf "\ninclude 'coexist.conf'\n" | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
}

pg_write_conf() {
  # Rewritten on every start so a re-picked port or a changed setting takes effect.
  as_pg tee "$PGDATA/coexist.conf" >/dev/null <<CONF
# Written by scripts/dataplane up.
listen_addresses = '127.0.0.1'
port = $PORT_PG
# TCP only: a socket path under a deep state dir can exceed the 107-byte limit.
unix_socket_directories = ''
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
# A dead or idle slot may hold at most this much WAL before Postgres invalidates it.
max_slot_wal_keep_size = '1GB'
# Throwaway test cluster: durability is not worth the fsync cost on a shared 2-core machine.
fsync = off
full_page_writes = off
log_min_messages = warning
log_connections = off
timezone = 'UTC'
CONF
}

pg_start() {
  pg_init
  if pg_running; then log "postgres: already running on 127.0.0.1:$PORT_PG"; return 0; fi
  pg_write_conf
  log "postgres: starting on 127.0.0.1:$PORT_PG"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t "$(timeout_for 60)" start >/dev/null 2>&1 || {
    log_tail "$LOGS/postgres.log"
    die "postgres did not start; see $LOGS/postgres.log"
  }
  wait_for postgres "$(timeout_for 30)" "$LOGS/postgres.log" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT_PG"
}

psql_su() {
  local db=$1; shift
  PGPASSWORD=$SU_PASSWORD "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT_PG" -U "$PG_SUPERUSER" -d "$db" "$@"
}

# The demo schema and grants belong to the tests; this only guarantees the database and a
# non-superuser replication role whose password matches the secrets file Connect reads.
pg_provision() {
  if [[ $(psql_su postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") != 1 ]]; then
    psql_su postgres -c "CREATE DATABASE $PG_DATABASE" || die "could not create database $PG_DATABASE"
  fi
  DBZ_PASSWORD=$DBZ_PASSWORD psql_su "$PG_DATABASE" <<'SQL' || die "could not create or update the debezium role"
\getenv pw DBZ_PASSWORD
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'debezium') AS missing \gset
\if :missing
CREATE ROLE debezium;
\endif
ALTER ROLE debezium WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
SQL
}

pg_stop() {
  [[ -f $PGDATA/postmaster.pid ]] || return 0
  local pid; pid=$(head -n1 "$PGDATA/postmaster.pid")
  log "stopping postgres (pid $pid)"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
    # Every backend calls setsid(), so the postmaster's process group does not hold them: kill by parent.
    log "postgres did not stop within 30s; sending SIGKILL"
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PGDATA/postmaster.pid"
  fi
}
