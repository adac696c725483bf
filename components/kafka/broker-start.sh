#!/usr/bin/env bash
# The Docker broker's entrypoint (components/kafka/container-auth.ts uploads it into apache/kafka).
#
# Renders the runtime server.properties from the plain one the stack uploads plus the secret files
# (the inter-broker and controller logins), formats the KRaft log dir with every SCRAM user on the
# first start, then runs Kafka and, beside it, upserts every SCRAM user on each start. Passwords
# come from files only: neither the container's env nor its command line (what `docker inspect`
# shows) holds one. They are in kafka-storage's and
# kafka-configs' argv for the seconds they run, visible to processes inside this container only.
#
# Inputs (defaults are the container's paths; the real-broker test points them elsewhere):
#   $COEXIST_KAFKA_CONF/server.properties   listeners, authorizer, super users: no secret
#   $COEXIST_KAFKA_SECRETS/scram/<user>     one file per SCRAM user, holding its password
#   $COEXIST_KAFKA_SECRETS/controller       the controller listener's PLAIN password
#   CLUSTER_ID                              the KRaft cluster id; KAFKA_INTER_BROKER_USER: a SCRAM user
set -euo pipefail

KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
CONF=${COEXIST_KAFKA_CONF:-/etc/coexist/kafka}
SECRETS=${COEXIST_KAFKA_SECRETS:-/etc/coexist/kafka-secrets}
RUN=${COEXIST_KAFKA_RUN:-/tmp/coexist-kafka}
# Written into the log dir when formatted with SCRAM users, appended to at each reconcile.
MARKER=.coexist-scram-sha-512

die() { printf 'coexist kafka: %s\n' "$*" >&2; exit 1; }

: "${CLUSTER_ID:?CLUSTER_ID is not set (the stack sets it from kraftClusterId)}"
: "${KAFKA_INTER_BROKER_USER:?KAFKA_INTER_BROKER_USER is not set (one of the SCRAM users, a super user)}"
[[ -f $CONF/server.properties ]] || die "$CONF/server.properties is missing"
[[ -d $SECRETS/scram ]] || die "$SECRETS/scram is missing (one password file per SCRAM user)"

# A password lands inside [name=...,password=...] and a JAAS "...": keep it to characters neither
# syntax gives a meaning to (the stack generates base64url).
read_secret() {
  local file=$1 value
  [[ -s $file ]] || die "$file is missing or empty"
  value=$(<"$file")
  [[ $value =~ ^[A-Za-z0-9._~-]{16,}$ ]] || die "$file: a password must be 16 or more of [A-Za-z0-9._~-]"
  printf '%s' "$value"
}

declare -A PASSWORDS=()
for f in "$SECRETS"/scram/*; do
  [[ -f $f ]] || continue
  user=${f##*/}
  [[ $user =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "$f: a SCRAM user name must be 1-64 of [A-Za-z0-9._-]"
  PASSWORDS[$user]=$(read_secret "$f")
done
((${#PASSWORDS[@]} > 0)) || die "$SECRETS/scram holds no user"
[[ -n ${PASSWORDS[$KAFKA_INTER_BROKER_USER]:-} ]] || die "KAFKA_INTER_BROKER_USER=$KAFKA_INTER_BROKER_USER has no password file in $SECRETS/scram"
CONTROLLER_PASSWORD=$(read_secret "$SECRETS/controller")
BROKER_PASSWORD=${PASSWORDS[$KAFKA_INTER_BROKER_USER]}

LOG_DIR=$(sed -n 's/^log\.dirs=//p' "$CONF/server.properties" | tail -n1)
[[ -n $LOG_DIR && $LOG_DIR != *,* ]] || die "$CONF/server.properties: log.dirs must name one directory"

umask 077
mkdir -p "$RUN"
SCRAM='org.apache.kafka.common.security.scram.ScramLoginModule required'
{
  cat "$CONF/server.properties"
  printf '\n# Added at start from %s (secret).\n' "$SECRETS"
  # The broker logs in to itself over the inter-broker listener as a super user.
  printf 'listener.name.internal.scram-sha-512.sasl.jaas.config=%s username="%s" password="%s";\n' "$SCRAM" "$KAFKA_INTER_BROKER_USER" "$BROKER_PASSWORD"
  printf 'listener.name.host.scram-sha-512.sasl.jaas.config=%s;\n' "$SCRAM"
  # KRaft controllers cannot check SCRAM (its credentials are in the metadata they serve): one static PLAIN user.
  printf 'listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="%s" user_controller="%s";\n' "$CONTROLLER_PASSWORD" "$CONTROLLER_PASSWORD"
  # The same static user on the loopback LOCAL listener, where reconcile_users logs in.
  printf 'listener.name.local.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_controller="%s";\n' "$CONTROLLER_PASSWORD"
} >"$RUN/server.properties"
# The healthcheck's client config (kafka-broker-api-versions --command-config), as the same super user.
cat >"$RUN/admin-client.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$SCRAM username="$KAFKA_INTER_BROKER_USER" password="$BROKER_PASSWORD";
EOF

# The LOCAL listener's client config: the static PLAIN user, a super user that needs no SCRAM
# credential in the metadata (so it works on a log dir that has none yet).
cat >"$RUN/controller-client.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$CONTROLLER_PASSWORD";
EOF
LOCAL=$(sed -n 's/^listeners=.*LOCAL:\/\/\([^,]*\).*/\1/p' "$CONF/server.properties" | tail -n1)
[[ -n $LOCAL ]] || die "$CONF/server.properties: listeners must include LOCAL://127.0.0.1:<port>, where the SCRAM users are upserted"

# Every start, every SCRAM user is upserted over the LOCAL listener: a password generated anew, a
# user added since the format, or a log dir formatted before the broker had SCRAM users converge
# without a reformat. (The controller listener cannot: the admin client refuses SCRAM calls there.)
# Runs beside Kafka, from when it answers.
reconcile_users() {
  # A small heap: the container's KAFKA_HEAP_OPTS is the broker's.
  local configs=(env KAFKA_HEAP_OPTS=-Xmx128m "$KAFKA_HOME/bin/kafka-configs.sh" --bootstrap-server "$LOCAL" --command-config "$RUN/controller-client.properties")
  local tries=0 user failed=0
  until "${configs[@]}" --describe --entity-type users >/dev/null 2>&1; do
    ((++tries < 90)) || { echo "coexist kafka: the broker did not answer on $LOCAL; SCRAM users not reconciled" >&2; return 1; }
    sleep 2
  done
  for user in "${!PASSWORDS[@]}"; do
    "${configs[@]}" --alter --entity-type users --entity-name "$user" --add-config "SCRAM-SHA-512=[password=${PASSWORDS[$user]}]" >/dev/null \
      || { failed=1; echo "coexist kafka: upserting SCRAM user $user failed" >&2; }
  done
  ((failed == 0)) || return 1
  echo "coexist kafka: SCRAM users reconciled: ${!PASSWORDS[*]}"
  printf 'reconciled %s: %s\n' "$(date -u +%FT%TZ)" "${!PASSWORDS[*]}" >>"$LOG_DIR/$MARKER"
}

if [[ -f $LOG_DIR/meta.properties ]]; then
  [[ -f $LOG_DIR/$MARKER ]] || echo "coexist kafka: $LOG_DIR was formatted before the broker had SCRAM users; adding them once the controller answers"
else
  args=()
  for user in "${!PASSWORDS[@]}"; do
    args+=(--add-scram "SCRAM-SHA-512=[name=$user,password=${PASSWORDS[$user]}]")
  done
  echo "coexist kafka: formatting $LOG_DIR (cluster $CLUSTER_ID) with SCRAM users: ${!PASSWORDS[*]}"
  "$KAFKA_HOME/bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$RUN/server.properties" "${args[@]}"
  printf 'SCRAM-SHA-512 users formatted %s: %s\n' "$(date -u +%FT%TZ)" "${!PASSWORDS[*]}" >"$LOG_DIR/$MARKER"
fi

reconcile_users &
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$RUN/server.properties"
