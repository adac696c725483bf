# shellcheck shell=bash
# The Postgres cluster: initdb in the state dir, logical WAL, loopback only, run as a non-root OS user.
#
# As root, Postgres runs as $PG_OS_USER, which must traverse every parent of its data dir. When the
# state dir sits where that user cannot go (a clone under root's 0700 home), the cluster lives in
# that user's own home instead, at <home>/coexist-dataplane/<hash of the state dir>, and
# <state>/postgres is a symlink to it: the owner's home is never opened up. `down --purge` removes it.

PG_SUPERUSER=coexist
PG_DATABASE=coexist

# Resolved paths: the ones handed to processes running as $PG_OS_USER, which cannot follow a
# symlink that sits inside an untraversable state dir.
pg_paths() {
  PG_DIR=$(realpath -m "$STATE/postgres")
  PGDATA="$PG_DIR/data"
  PG_LOG=$(realpath -m "$LOGS/postgres.log")
}
pg_paths

# Where the cluster goes when $PG_OS_USER cannot reach the state dir: under that user's home,
# keyed by the state dir so several clones each keep their own.
pg_relocated_dir() {
  local home
  home=$(getent passwd "$PG_OS_USER" | cut -d: -f6)
  [[ -n $home && -d $home ]] \
    || die "OS user $PG_OS_USER cannot reach $STATE and has no home dir to hold the cluster instead (found \"${home:-none}\"); set COEXIST_DATAPLANE_DIR to a path it can traverse, or COEXIST_PG_OS_USER to a user with a home"
  printf '%s/coexist-dataplane/%s' "$home" "$(printf '%s' "$STATE" | sha256sum | cut -c1-16)"
}

# True when <state>/postgres is a symlink this script made (the cluster lives elsewhere).
pg_is_relocated() { [[ -L $STATE/postgres ]]; }

# Makes <state>/postgres a dir $PG_OS_USER can write, before initdb: in place when that user can
# reach it, else relocated.
pg_prepare_dir() {
  mkdir -p "$STATE" "$LOGS"
  if pg_is_relocated; then
    [[ -d $PG_DIR ]] && return 0
    rm -f "$STATE/postgres" "$LOGS/postgres.log"  # its target was deleted by hand: start over
  fi
  # Left empty by an earlier attempt that stopped before initdb.
  if [[ -d $STATE/postgres ]]; then rmdir "$STATE/postgres" 2>/dev/null || true; fi
  mkdir -p "$STATE/postgres"
  pg_paths
  [[ $EUID -eq 0 ]] || return 0
  id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER does not exist (Postgres cannot run as root); set COEXIST_PG_OS_USER"
  chown "$PG_OS_USER" "$STATE/postgres"
  as_pg test -w "$STATE/postgres" && return 0
  rmdir "$STATE/postgres" 2>/dev/null \
    || die "OS user $PG_OS_USER cannot reach $STATE/postgres, which is not empty; run scripts/dataplane down --purge"
  local target; target=$(pg_relocated_dir)
  log "postgres: OS user $PG_OS_USER cannot traverse the parents of $STATE; the cluster goes to $target"
  install -d -o root -m 0755 "$(dirname "$target")"
  # A cluster already there belonged to a state dir at this path that was deleted without
  # down --purge: its superuser password went with it, so it cannot be reused.
  if [[ -e $target ]]; then
    log "postgres: removing the orphaned cluster in $target"
    rm -rf "$target"
  fi
  install -d -o "$PG_OS_USER" -m 0700 "$target"
  printf '%s\n' "$STATE" >"$target/state-dir"
  ln -s "$target" "$STATE/postgres"
  # pg_ctl opens its log as $PG_OS_USER, so the log lives beside the cluster, linked from logs/.
  rm -f "$LOGS/postgres.log"
  ln -s "$target/postgres.log" "$LOGS/postgres.log"
  pg_paths
  as_pg test -w "$PG_DIR" || die "OS user $PG_OS_USER cannot write $PG_DIR either; set COEXIST_DATAPLANE_DIR to a path it can traverse"
}

# down --purge: the relocated cluster goes with the state dir that named it.
pg_purge_relocated() {
  pg_is_relocated || return 0
  local target; target=$(realpath -m "$STATE/postgres")
  # Only ever a dir this script made: <home>/coexist-dataplane/<16 hex>; a link made by hand stays.
  if [[ $target =~ /coexist-dataplane/[0-9a-f]{16}$ ]]; then
    rm -rf "$target"
  else
    log "postgres: $STATE/postgres links to $target, which this script did not make; left in place"
  fi
}

# ---- postgres ----------------------------------------------------------------------------------

pg_running() { [[ -f $PGDATA/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

pg_init() {
  if [[ -f $PGDATA/PG_VERSION ]]; then
    local have; have=$(<"$PGDATA/PG_VERSION")
    [[ $have == "$V_POSTGRES" ]] \
      || die "$PGDATA holds a Postgres $have cluster but versions.json says ${V_POSTGRES}; run scripts/dataplane down --purge"
    return 0
  fi
  pg_prepare_dir
  touch "$PG_LOG"
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$PG_LOG"
  log "postgres: initdb in $PGDATA"
  local pwfile="$PG_DIR/.pwfile"
  (umask 077 && printf '%s\n' "$SU_PASSWORD" >"$pwfile")
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$pwfile"
  if ! as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C >>"$PG_LOG" 2>&1; then
    rm -f "$pwfile"
    log_tail "$PG_LOG"
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
# FerretDB's pool (FERRETDB_POOL_MAX_CONNS, 200) plus Debezium, the tests and the reconciler.
max_connections = 300
# scripts/bench measures lag as the store's commit time minus the source row's, both read with
# pg_xact_commit_timestamp() from this one server's clock (FerretDB's tables live here too).
track_commit_timestamp = on
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
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t "$(timeout_for 60)" start >/dev/null 2>&1 || {
    log_tail "$PG_LOG"
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

# ---- ferretdb's database -----------------------------------------------------------------------

# FerretDB (services.sh) keeps the read model in its own database of this cluster, as its own
# non-superuser role; the URL it reads (with the password) stays out of the secrets dir, which
# Connect's file config provider may read.
FERRETDB_DATABASE=ferretdb
FERRETDB_ROLE=ferretdb
FERRETDB_URL_FILE="$STATE/ferretdb/postgresql.url"
# FerretDB v1.24's update command keeps one pool connection per statement that matched a document
# until the whole command returns, and needs one more to write: a bulk of 50 such statements
# deadlocks the default pool of 50 for good (measured; `defer` inside the statement loop of
# msg_update.go). The sync worker sends at most 8 statements per command under
# COEXIST_MONGODB_COMPAT=ferretdb-v1 and holds at most 8 commands at once, so one worker needs at
# most 8 x (8 + 1) = 72 connections; 200 leaves room for a second worker (the chaos run), the
# reconciler, the bench and the tests' readers. max_connections (pg_write_conf) is sized for it.
FERRETDB_POOL_MAX_CONNS=200

pg_provision_ferretdb() {
  mkdir -p "$STATE/ferretdb" && chmod 700 "$STATE/ferretdb"
  local pw
  if [[ -s $STATE/ferretdb/password ]]; then
    pw=$(<"$STATE/ferretdb/password")
  else
    pw=$(random_secret)
    (umask 077 && printf '%s\n' "$pw" >"$STATE/ferretdb/password")
  fi
  FERRETDB_PASSWORD=$pw psql_su postgres <<SQL || die "could not create or update the $FERRETDB_ROLE role and database"
\\getenv pw FERRETDB_PASSWORD
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$FERRETDB_ROLE') AS missing \\gset
\\if :missing
CREATE ROLE $FERRETDB_ROLE;
\\endif
ALTER ROLE $FERRETDB_ROLE WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'pw';
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$FERRETDB_DATABASE') AS nodb \\gset
\\if :nodb
CREATE DATABASE $FERRETDB_DATABASE OWNER $FERRETDB_ROLE;
\\endif
SQL
  # FerretDB v1.24 looks documents up by `_jsonb->$1 @> $2`, which its btree index on
  # (_jsonb->'_id') cannot serve: every _id lookup (each upsert's) scanned the collection (3.5 ms
  # at 5,000 documents, 7.8 ms at 20,000, growing). A GIN index on the same expression serves `@>`
  # once the key is a constant, i.e. in custom plans: an event trigger adds it to every table
  # FerretDB creates, and the database never switches to generic plans. Lookups then cost the
  # same at any size, as MongoDB's _id index does (0.04 ms instead of 6.2 ms at 20,000).
  psql_su "$FERRETDB_DATABASE" <<SQL || die "could not install the _id lookup index trigger in database $FERRETDB_DATABASE"
CREATE SCHEMA IF NOT EXISTS coexist_store;
GRANT USAGE ON SCHEMA coexist_store TO $FERRETDB_ROLE;
CREATE OR REPLACE FUNCTION coexist_store.ferretdb_id_lookup_index() RETURNS event_trigger LANGUAGE plpgsql AS \$fn\$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT objid::regclass FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    -- FerretDB's collections: one jsonb column _jsonb; its own metadata tables are _ferretdb_*.
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t AND attname = '_jsonb' AND NOT attisdropped)
       AND (SELECT relname FROM pg_class WHERE oid = t) NOT LIKE '\\_ferretdb\\_%' THEN
      EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)', t, '_id');
    END IF;
  END LOOP;
END
\$fn\$;
SELECT NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'coexist_ferretdb_id_lookup_index') AS notrigger \\gset
\\if :notrigger
CREATE EVENT TRIGGER coexist_ferretdb_id_lookup_index ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION coexist_store.ferretdb_id_lookup_index();
\\endif
ALTER DATABASE $FERRETDB_DATABASE SET plan_cache_mode = force_custom_plan;
SQL
  (umask 077 && printf 'postgres://%s:%s@127.0.0.1:%s/%s?pool_max_conns=%s&pool_max_conn_idle_time=1m\n' \
    "$FERRETDB_ROLE" "$pw" "$PORT_PG" "$FERRETDB_DATABASE" "$FERRETDB_POOL_MAX_CONNS" >"$FERRETDB_URL_FILE")
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
