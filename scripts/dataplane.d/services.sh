# shellcheck shell=bash
# `up`, `down`, `status`, `env`, `logs`: the four services as processes on 127.0.0.1
# (postgres.sh and kafka.sh start their services; FerretDB is small enough to live here).

SERVICES=(postgres kafka connect ferretdb)

PORT_NAMES=(PG KAFKA CONTROLLER CONNECT FERRETDB ETCD ETCD_PEER APISERVER KCM SCHEDULER KWOK)
# The control plane's ports sit below Linux's ephemeral range (32768-60999): its components hold
# hundreds of loopback connections, and a listener whose port one of them took as its local port
# fails to bind.
declare -A PORT_DEFAULT=([PG]=55432 [KAFKA]=59092 [CONTROLLER]=59093 [CONNECT]=58083 [FERRETDB]=57017
  [ETCD]=22379 [ETCD_PEER]=22380 [APISERVER]=26443 [KCM]=20257 [SCHEDULER]=20259 [KWOK]=20247)

timeout_for() { printf '%s' "${COEXIST_DATAPLANE_TIMEOUT:-$1}"; }

random_secret() { od -An -tx1 -N18 /dev/urandom | tr -d ' \n'; }
secret_value() { sed -n "s/^$2=//p" "$1"; }

# ---- ports -------------------------------------------------------------------------------------

load_ports() {
  # shellcheck disable=SC1091
  [[ -f $STATE/ports ]] && source "$STATE/ports"
  return 0
}

any_running() {
  local s
  for s in "${SERVICES[@]}" "${KUBE_SERVICES[@]}"; do is_up "$s" && return 0; done
  return 1
}

# The service that listens on each port: a port is kept as it is only while its service runs.
declare -A PORT_SERVICE=([PG]=postgres [KAFKA]=kafka [CONTROLLER]=kafka [CONNECT]=connect [FERRETDB]=ferretdb
  [ETCD]=etcd [ETCD_PEER]=etcd [APISERVER]=kube-apiserver [KCM]=kube-controller-manager [SCHEDULER]=kube-scheduler [KWOK]=kwok)

# Ports survive restarts (the env file stays valid): a running service keeps its port. A stopped
# service's port is re-picked when something else took it meanwhile (the control plane's ports,
# recorded by a first `up` without --kubernetes, may be another worktree's by the time it starts).
# A port not picked yet (a ports file from before the control plane) is picked anyway.
assign_ports() {
  load_ports
  local n var p chosen=" " running=0
  if any_running; then
    [[ -f $STATE/ports ]] || die "services are running but $STATE/ports is missing; run scripts/dataplane down, then up"
    running=1
  fi
  for n in "${PORT_NAMES[@]}"; do
    var="PORT_$n"
    if ((running)) && [[ -n ${!var:-} ]] && is_up "${PORT_SERVICE[$n]}"; then chosen+="${!var} "; continue; fi
    p=${!var:-${PORT_DEFAULT[$n]}}
    while port_busy "$p" || [[ $chosen == *" $p "* ]]; do
      p=$((p + 1))
      ((p < 65000)) || die "no free port found for $n near ${PORT_DEFAULT[$n]}"
    done
    chosen+="$p "
    printf -v "$var" '%s' "$p"
  done
  {
    printf '# Ports picked by scripts/dataplane up; kept so the env file stays valid across restarts.\n'
    for n in "${PORT_NAMES[@]}"; do var="PORT_$n"; printf '%s=%s\n' "$var" "${!var}"; done
  } >"$STATE/ports"
}

# ---- secrets -----------------------------------------------------------------------------------

ensure_secrets() {
  mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
  if [[ ! -s $SECRETS/superuser.properties ]]; then
    (umask 077 && printf 'user=%s\npassword=%s\n' "$PG_SUPERUSER" "$(random_secret)" >"$SECRETS/superuser.properties")
  fi
  # Connect's FileConfigProvider reads this file, so the connector JSON only ever holds a ${file:...} reference.
  if [[ ! -s $SECRETS/postgres.properties ]]; then
    (umask 077 && printf 'user=debezium\npassword=%s\n' "$(random_secret)" >"$SECRETS/postgres.properties")
  fi
  SU_PASSWORD=$(secret_value "$SECRETS/superuser.properties" password)
  DBZ_PASSWORD=$(secret_value "$SECRETS/postgres.properties" password)
  # Connect's REST API asks for credentials, as the stack's does. Outside $SECRETS on purpose:
  # the file config provider, which any connector config can use, may read only $SECRETS.
  mkdir -p "$STATE/rest-auth" && chmod 700 "$STATE/rest-auth"
  if [[ ! -s $STATE/rest-auth/users.properties ]]; then
    (umask 077 && printf '%s: %s\n' "$CONNECT_USER" "$(random_secret)" >"$STATE/rest-auth/users.properties")
  fi
  CONNECT_PASSWORD=$(sed -n "s/^$CONNECT_USER: //p" "$STATE/rest-auth/users.properties")
  ensure_kafka_secrets
}

# One SCRAM user per Kafka client (kafka.sh creates them at format time), plus the controller's PLAIN password.
ensure_kafka_secrets() {
  mkdir -p "$KAFKA_AUTH_DIR" && chmod 700 "$KAFKA_AUTH_DIR"
  local u
  for u in admin connect worker controller; do
    [[ -s $KAFKA_AUTH_DIR/$u.properties ]] ||
      (umask 077 && printf 'user=coexist-%s\npassword=%s\n' "$u" "$(random_secret)" >"$KAFKA_AUTH_DIR/$u.properties")
  done
  KAFKA_ADMIN_USER=$(secret_value "$KAFKA_AUTH_DIR/admin.properties" user)
  KAFKA_ADMIN_PASSWORD=$(secret_value "$KAFKA_AUTH_DIR/admin.properties" password)
  KAFKA_WORKER_USER=$(secret_value "$KAFKA_AUTH_DIR/worker.properties" user)
  KAFKA_WORKER_PASSWORD=$(secret_value "$KAFKA_AUTH_DIR/worker.properties" password)
  KAFKA_CONTROLLER_PASSWORD=$(secret_value "$KAFKA_AUTH_DIR/controller.properties" password)
  # The CLI wrappers' (and kafka_healthy's) --command-config.
  (umask 077 && printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$KAFKA_ADMIN_USER\" password=\"$KAFKA_ADMIN_PASSWORD\";" \
    >"$KAFKA_AUTH_DIR/admin-client.properties")
}
# ---- ferretdb ----------------------------------------------------------------------------------

# PostgreSQL backend, in its own database (`ferretdb`, owned by the `ferretdb` role) of the data
# plane's PostgreSQL: per write it costs ~50x less than the SQLite backend. Logical decoding,
# publications and slots are per database, so FerretDB's tables never show up in the CDC
# pipeline the tests assert on. The pool bound is FERRETDB_POOL_MAX_CONNS (postgres.sh, with why).
ferretdb_start() {
  if is_up ferretdb; then log "ferretdb: already running on 127.0.0.1:$PORT_FERRETDB"; return 0; fi
  pg_provision_ferretdb
  log "ferretdb: starting on 127.0.0.1:$PORT_FERRETDB (PostgreSQL backend, database $FERRETDB_DATABASE, pool $FERRETDB_POOL_MAX_CONNS)"
  spawn ferretdb "$FERRETDB_DIST/bin/ferretdb" \
    --listen-addr="127.0.0.1:$PORT_FERRETDB" \
    --postgresql-url-file="$FERRETDB_URL_FILE" --log-level=info
}

ferretdb_healthy() { node "$DP_LIB_DIR/mongo-ping.mjs" 127.0.0.1 "$PORT_FERRETDB"; }

# ---- lifecycle ---------------------------------------------------------------------------------

is_up() {
  case $1 in
    postgres) pg_running ;;
    *) service_pid "$1" >/dev/null ;;
  esac
}

env_line() { printf "export %s='%s'\n" "$1" "$2"; }

write_env() {
  local ref="\${file:$SECRETS/postgres.properties:password}" tmp="$ENV_FILE.tmp"
  (
    umask 077
    {
      printf '# Written by scripts/dataplane up (%s). Source it; one export per line.\n' "$(date -Is)"
      env_line DATAPLANE_DIR "$STATE"
      env_line PGHOST 127.0.0.1
      env_line PGPORT "$PORT_PG"
      env_line PGUSER "$PG_SUPERUSER"
      env_line PGPASSWORD "$SU_PASSWORD"
      env_line PGDATABASE "$PG_DATABASE"
      env_line POSTGRES_URL "postgres://$PG_SUPERUSER:$SU_PASSWORD@127.0.0.1:$PORT_PG/$PG_DATABASE"
      env_line KAFKA_BROKERS "127.0.0.1:$PORT_KAFKA"
      # SCRAM-SHA-512 over SASL_PLAINTEXT on loopback. The admin bypasses ACLs (test setup); the
      # worker user has the data plane's worker ACLs (components/kafka/acls.ts, prefix scope).
      env_line KAFKA_SASL_MECHANISM SCRAM-SHA-512
      env_line KAFKA_ADMIN_USER "$KAFKA_ADMIN_USER"
      env_line KAFKA_ADMIN_PASSWORD "$KAFKA_ADMIN_PASSWORD"
      env_line KAFKA_WORKER_USER "$KAFKA_WORKER_USER"
      env_line KAFKA_WORKER_PASSWORD "$KAFKA_WORKER_PASSWORD"
      env_line KAFKA_ADMIN_CONFIG "$KAFKA_AUTH_DIR/admin-client.properties"
      env_line CONNECT_URL "http://127.0.0.1:$PORT_CONNECT"
      env_line CONNECT_USER "$CONNECT_USER"
      env_line CONNECT_PASSWORD "$CONNECT_PASSWORD"
      env_line MONGODB_URL "mongodb://127.0.0.1:$PORT_FERRETDB/"
      env_line DEBEZIUM_USER debezium
      env_line DEBEZIUM_PASSWORD "$DBZ_PASSWORD"
      env_line DEBEZIUM_PASSWORD_REF "$ref"
      env_line DATAPLANE_SECRETS_DIR "$SECRETS"
      env_line KAFKA_BIN "$STATE/bin"
      kube_env_lines
    } >"$tmp"
  )
  mv "$tmp" "$ENV_FILE"
}

write_bin_wrappers() {
  mkdir -p "$STATE/bin"
  local t
  for t in "${!KAFKA_TOOLS[@]}"; do
    printf '#!/usr/bin/env bash\nexec env COEXIST_DATAPLANE_DIR=%q %q %s "$@"\n' "$STATE" "$DATAPLANE_CMD" "$t" >"$STATE/bin/$t"
    chmod +x "$STATE/bin/$t"
  done
  if is_up kube-apiserver; then
    printf '#!/usr/bin/env bash\nexec env COEXIST_DATAPLANE_DIR=%q %q kubectl "$@"\n' "$STATE" "$DATAPLANE_CMD" >"$STATE/bin/kubectl"
    chmod +x "$STATE/bin/kubectl"
  fi
}

cmd_up() {
  kube_parse up "$@"
  [[ $STATE != *"'"* ]] || die "the state dir path must not contain a single quote: $STATE"
  require_installed
  require_java
  ((KUBE_WANTED)) && kube_tools
  local t0=$SECONDS s all=1
  mkdir -p "$LOGS" "$RUN" || die "cannot create the state dir $STATE; set COEXIST_DATAPLANE_DIR to a writable path"
  for s in "${SERVICES[@]}"; do is_up "$s" || all=0; done
  if ((KUBE_WANTED)); then
    kube_all_running && grep -q '^export KUBECONFIG=' "$ENV_FILE" 2>/dev/null || all=0
  fi
  if ((all)) && [[ -f $ENV_FILE ]]; then
    log "already up (scripts/dataplane status for details); env: $ENV_FILE"
    return 0
  fi
  assign_ports
  ensure_secrets

  pg_start
  pg_provision
  kafka_start
  ferretdb_start
  wait_for kafka "$(timeout_for 90)" "$LOGS/kafka.log" kafka_healthy
  log "kafka: healthy"
  kafka_apply_acls
  connect_start
  wait_for ferretdb "$(timeout_for 30)" "$LOGS/ferretdb.log" ferretdb_healthy
  log "ferretdb: healthy"
  wait_for connect "$(timeout_for 180)" "$LOGS/connect.log" connect_healthy
  log "connect: healthy, $DEBEZIUM_PLUGIN_CLASS loaded"
  if ((KUBE_WANTED)); then kube_up; fi

  write_bin_wrappers
  write_env
  log "up in $((SECONDS - t0))s: postgres :$PORT_PG, kafka :$PORT_KAFKA, connect :$PORT_CONNECT, ferretdb :$PORT_FERRETDB$(is_up kube-apiserver && printf ', kube-apiserver :%s' "$PORT_APISERVER")"
  log "env: source $ENV_FILE"
}

# Processes whose command line names this state dir (or the relocated Postgres cluster), in case
# a pidfile was lost. Every control-plane process names a file under <state>/kubernetes/.
leftovers() {
  pgrep -f -- "$STATE/(kafka/server.properties|connect/connect-distributed.properties|postgres/data|ferretdb/|kubernetes/)" || true
  if pg_is_relocated; then pgrep -f -- "-D $PGDATA( |$)" || true; fi
}

cmd_down() {
  local purge=0
  case ${1:-} in
    --purge) purge=1 ;;
    '') ;;
    *) die "unknown option for down: $1 (only --purge)" ;;
  esac
  if [[ ! -d $STATE ]]; then
    log "nothing to stop: no state dir $STATE"
    return 0
  fi
  kube_down
  # Connect first so Debezium closes its replication connection cleanly; Postgres last.
  stop_group connect 30
  stop_group ferretdb 10
  stop_group kafka 30
  pg_stop
  local left; left=$(leftovers)
  if [[ -n $left ]]; then
    log "killing leftover processes: $(tr '\n' ' ' <<<"$left")"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.5
    left=$(leftovers)
    [[ -z $left ]] || die "processes still running after SIGKILL: $left"
  fi
  rm -f "$ENV_FILE"
  if ((purge)); then
    [[ $STATE != / && $STATE != "$HOME" && $STATE != "$REPO_ROOT" ]] || die "refusing to delete $STATE"
    kube_purge
    pg_purge_relocated
    rm -rf "$STATE"
    log "down; state dir $STATE deleted"
  else
    log "down (data kept in $STATE; down --purge deletes it)"
  fi
}

cmd_status() {
  load_ports
  local s pid port var
  declare -A port_of=([postgres]=PG [kafka]=KAFKA [connect]=CONNECT [ferretdb]=FERRETDB)
  printf '%-23s %-8s %-8s %s\n' SERVICE STATE PID ADDRESS
  for s in "${SERVICES[@]}"; do
    var="PORT_${port_of[$s]}"; port=${!var:-}
    if [[ $s == postgres ]]; then
      pid=$(head -n1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
    else
      pid=$(service_pid "$s" || true)
    fi
    if is_up "$s"; then
      printf '%-23s %-8s %-8s %s\n' "$s" running "$pid" "127.0.0.1:$port"
    else
      printf '%-23s %-8s %-8s %s\n' "$s" stopped - "${port:+127.0.0.1:$port}"
    fi
  done
  for s in "${KUBE_SERVICES[@]}"; do
    port=$(kube_port_of "$s")
    if is_up "$s"; then
      printf '%-23s %-8s %-8s %s\n' "$s" running "$(service_pid "$s")" "127.0.0.1:$port"
    elif [[ -d $KSTATE ]]; then
      printf '%-23s %-8s %-8s %s\n' "$s" stopped - "${port:+127.0.0.1:$port}"
    fi
  done
  printf 'state: %s\nlogs:  %s\nenv:   %s\n' "$STATE" "$LOGS" "$([[ -f $ENV_FILE ]] && echo "$ENV_FILE" || echo 'not written (run up)')"
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no env file: the data plane is not up; run scripts/dataplane up"
  case ${1:-} in
    --path) printf '%s\n' "$ENV_FILE" ;;
    '') cat "$ENV_FILE" ;;
    *) die "unknown option for env: $1 (only --path)" ;;
  esac
}

cmd_logs() {
  if [[ -z ${1:-} ]]; then
    ls -1 "$LOGS"/*.log 2>/dev/null || log "no logs yet in $LOGS"
    return 0
  fi
  [[ -f $LOGS/$1.log ]] || die "no log for '$1'; services: ${SERVICES[*]} ${KUBE_SERVICES[*]}"
  tail -n "${2:-100}" "$LOGS/$1.log"
}
