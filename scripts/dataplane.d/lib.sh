# shellcheck shell=bash
# Shared by the dataplane subcommands: logging, versions, paths, process control.

log() { printf '[dataplane] %s\n' "$*" >&2; }
die() { printf '[dataplane] error: %s\n' "$*" >&2; exit 1; }

DP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$DP_LIB_DIR/../.." && pwd)
DATAPLANE_CMD="$REPO_ROOT/scripts/dataplane"
VERSIONS_FILE="$REPO_ROOT/versions.json"

command -v node >/dev/null || die "node is needed to read $VERSIONS_FILE; install Node 20 or newer (npm test runs the Node 24 of package.json)"

# Versions come from versions.json only; the regex keeps a malformed value from reaching eval.
eval "$(node -e '
  const v = require(process.argv[1]);
  for (const k of ["kafka", "scala", "debezium", "postgres", "ferretdb"]) {
    if (typeof v[k] !== "string" || !/^[A-Za-z0-9._-]+$/.test(v[k])) {
      console.error(`[dataplane] error: versions.json "${k}" is ${JSON.stringify(v[k])}; expected a version string such as "4.1.0"`);
      process.exit(1);
    }
    console.log(`V_${k.toUpperCase()}=${v[k]}`);
  }' "$VERSIONS_FILE")" || exit 1

CACHE_ROOT="${COEXIST_CACHE:-$HOME/.cache/coexist}/dataplane"
# Cache dirs are keyed by version and by a hash of the recipe that filled them, so a changed
# install.sh (or FerretDB wrapper) refills its dir instead of trusting an old one.
recipe_hash() { cat "$@" | sha256sum | cut -c1-8; }
KAFKA_DIST="$CACHE_ROOT/kafka_${V_SCALA}-${V_KAFKA}-$(recipe_hash "$DP_LIB_DIR/install.sh")"
DEBEZIUM_DIST="$CACHE_ROOT/debezium-postgres-${V_DEBEZIUM}-$(recipe_hash "$DP_LIB_DIR/install.sh")"
FERRETDB_DIST="$CACHE_ROOT/ferretdb-${V_FERRETDB}-$(recipe_hash "$DP_LIB_DIR/ferretdb/main.go")"
PG_BIN="/usr/lib/postgresql/${V_POSTGRES}/bin"

# Absolute, but not created here: only `up` creates it, so `down --purge` then `status` leaves nothing behind.
STATE=$(realpath -m "${COEXIST_DATAPLANE_DIR:-$REPO_ROOT/.dataplane}")
LOGS="$STATE/logs"
RUN="$STATE/run"
SECRETS="$STATE/secrets"
ENV_FILE="$STATE/env"
# Kafka's SCRAM users (admin, connect, worker) and the admin's client config. Outside $SECRETS on
# purpose, like rest-auth/: Connect's file config provider, which any connector config can use,
# may read $SECRETS, and must not hand out the admin's password.
KAFKA_AUTH_DIR="$STATE/kafka-auth"

# The postmaster refuses to run as root, so as root every Postgres binary runs as this OS user.
PG_OS_USER="${COEXIST_PG_OS_USER:-postgres}"
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

pidfile() { printf '%s/%s.pid' "$RUN" "$1"; }

# A service's pid is also its process group id (started with setsid), so the whole tree can be signalled.
service_pid() {
  local f; f=$(pidfile "$1")
  [[ -s $f ]] || return 1
  local pid; pid=$(<"$f")
  pid_alive "$pid" || return 1
  printf '%s' "$pid"
}

# Running (not exited, not a zombie awaiting its reaper).
pid_alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }

spawn() {
  local name=$1; shift
  mkdir -p "$LOGS" "$RUN"
  printf '\n===== %s start %s =====\n' "$name" "$(date -Is)" >>"$LOGS/$name.log"
  # In a non-interactive shell a background job is not a group leader, so setsid execs in place and $! is the service.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$(pidfile "$name")"
}

# True while a process of group PGID has not exited. Zombies do not count: a service outlives the
# `up` that spawned it, so its parent is then init, which may reap it only seconds later.
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }

stop_group() {
  local name=$1 grace=${2:-30} pid
  pid=$(service_pid "$name") || { rm -f "$(pidfile "$name")"; return 0; }
  log "stopping $name (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while group_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "$name did not exit within ${grace}s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  rm -f "$(pidfile "$name")"
}

# Busy: something listens there, or any socket (a client's, say) holds it as its local port.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  command -v ss >/dev/null && [[ -n $(ss -Htan "( sport = :$1 )" 2>/dev/null) ]]
}

log_tail() {
  local file=$1
  [[ -f $file ]] || return 0
  printf '[dataplane] ---- last lines of %s ----\n' "$file" >&2
  tail -n "${2:-25}" "$file" >&2
  printf '[dataplane] ----\n' >&2
}

# wait_for NAME TIMEOUT LOG CHECK...: polls CHECK until it succeeds; fails fast if the service died.
wait_for() {
  local name=$1 timeout=$2 logfile=$3; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ $name != postgres ]] && ! service_pid "$name" >/dev/null; then
      log_tail "$logfile"
      die "$name exited during startup; its log is $logfile"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$logfile"
      die "$name was not healthy within ${timeout}s; see $logfile (raise COEXIST_DATAPLANE_TIMEOUT on a slow machine)"
    fi
    sleep 1
  done
}

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
require_java() {
  command -v "$JAVA" >/dev/null || die "java is needed (Kafka ${V_KAFKA} runs on Java 17+): apt-get install openjdk-17-jre-headless"
  local major
  major=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${major%%.*} -ge 17 ]] 2>/dev/null || die "java ${major:-?} found on PATH; Kafka ${V_KAFKA} needs Java 17 or newer (set PATH or JAVA_HOME)"
}
