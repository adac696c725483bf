# shellcheck shell=bash
# The KRaft broker and the Connect worker: JVMs on the jars `install` resolved, loopback only.

DEBEZIUM_PLUGIN_CLASS=io.debezium.connector.postgresql.PostgresConnector
# The one user of Connect's REST API (as in the stack: components/connect/connect.ts).
CONNECT_USER=coexist
# Connect's group; its internal topics are <group>-configs, -offsets, -status (Connect creates them).
CONNECT_GROUP=coexist-connect
CONNECT_INTERNAL_TOPICS="$CONNECT_GROUP-configs,$CONNECT_GROUP-offsets,$CONNECT_GROUP-status"

# A small fixed heap on SerialGC: the machines have 2 cores, and G1's extra threads and footprint buy nothing here.
JVM_COMMON=(-XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$DP_LIB_DIR/log4j2-server.properties")
read -r -a KAFKA_HEAP <<<"${COEXIST_KAFKA_HEAP:--Xms128m -Xmx512m}"
read -r -a CONNECT_HEAP <<<"${COEXIST_CONNECT_HEAP:--Xms128m -Xmx512m}"

# ---- kafka broker ------------------------------------------------------------------------------

kafka_write_conf() {
  mkdir -p "$STATE/kafka" && chmod 700 "$STATE/kafka"
  # It holds the admin's and the controller's passwords.
  (umask 077 && cat >"$STATE/kafka/server.properties") <<CONF
# Written by scripts/dataplane up: one combined broker+controller, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$PORT_CONTROLLER
# Clients authenticate with SCRAM-SHA-512 (users created at format time, kafka_format); no TLS on
# loopback. The controller listener takes SASL/PLAIN with one static user (KRaft's controllers
# cannot check SCRAM, whose credentials live in the metadata they serve), so no port is anonymous.
listeners=SASL_PLAINTEXT://127.0.0.1:$PORT_KAFKA,CONTROLLER://127.0.0.1:$PORT_CONTROLLER
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$PORT_KAFKA
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_ADMIN_USER" password="$KAFKA_ADMIN_PASSWORD";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$KAFKA_CONTROLLER_PASSWORD" user_controller="$KAFKA_CONTROLLER_PASSWORD";
# Deny by default; only the broker/controller and the admin bypass ACLs. The clients' rules come
# from components/kafka/acls.ts (kafka_apply_acls).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_ADMIN_USER;User:controller
log.dirs=$STATE/kafka/data
# Same contract as every environment: whoever uses a topic creates it.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests create and join groups constantly; the default 3s delay would slow every one of them.
group.initial.rebalance.delay.ms=0
log.retention.hours=24
num.network.threads=2
num.io.threads=2
CONF
}

kafka_format() {
  if [[ -f $STATE/kafka/data/meta.properties ]]; then
    grep -q '^sasl.enabled.mechanisms=SCRAM-SHA-512' "$STATE/kafka/formatted-with" 2>/dev/null ||
      die "kafka: $STATE/kafka/data was formatted without SCRAM users (an older data plane); run scripts/dataplane down --purge, then up"
    return 0
  fi
  local id
  id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka.log") || die "kafka-storage random-uuid failed; see $LOGS/kafka.log"
  log "kafka: formatting the KRaft log dir (cluster $id)"
  # SCRAM users exist from the first metadata record on, so no client ever meets a half-secured broker.
  local scram=() u
  for u in admin connect worker; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$(secret_value "$KAFKA_AUTH_DIR/$u.properties" user),password=$(secret_value "$KAFKA_AUTH_DIR/$u.properties" password)]")
  done
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$STATE/kafka/server.properties" "${scram[@]}" >>"$LOGS/kafka.log" 2>&1 \
    || { log_tail "$LOGS/kafka.log"; die "kafka-storage format failed; see $LOGS/kafka.log"; }
  echo 'sasl.enabled.mechanisms=SCRAM-SHA-512' >"$STATE/kafka/formatted-with"
}

kafka_start() {
  if is_up kafka; then log "kafka: already running on 127.0.0.1:$PORT_KAFKA"; return 0; fi
  mkdir -p "$LOGS"
  kafka_write_conf
  kafka_format
  log "kafka: starting broker on 127.0.0.1:$PORT_KAFKA (controller :$PORT_CONTROLLER)"
  spawn kafka "$JAVA" "${KAFKA_HEAP[@]}" "${JVM_COMMON[@]}" -cp "$KAFKA_DIST/libs/*" kafka.Kafka "$STATE/kafka/server.properties"
}

kafka_healthy() {
  port_busy "$PORT_KAFKA" && kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$PORT_KAFKA" --command-config "$KAFKA_AUTH_DIR/admin-client.properties"
}

# The clients' ACLs, rendered by components/kafka/acls.ts (the one description of who may do what),
# applied with Kafka's own AclCommand as the admin. Adding an existing ACL is a no-op; a changed
# description is applied on the next `up` (rules it dropped stay until down --purge).
kafka_apply_acls() {
  local rules hash
  rules=$(cd "$REPO_ROOT" && node --import tsx "$DP_LIB_DIR/kafka-acls.ts" "$(secret_value "$KAFKA_AUTH_DIR/connect.properties" user)" "$KAFKA_WORKER_USER" "$CONNECT_GROUP" "$CONNECT_INTERNAL_TOPICS") || die "rendering the Kafka ACLs failed (scripts/dataplane.d/kafka-acls.ts)"
  hash=$(printf '%s' "$rules" | sha256sum | cut -c1-16)
  [[ $(cat "$STATE/kafka/acls-applied" 2>/dev/null) == "$hash" ]] && return 0
  log "kafka: applying the clients' ACLs (components/kafka/acls.ts)"
  local line args
  while IFS= read -r line; do
    IFS=$'\t' read -r -a args <<<"$line"
    kafka_java org.apache.kafka.tools.AclCommand --bootstrap-server "127.0.0.1:$PORT_KAFKA" --command-config "$KAFKA_AUTH_DIR/admin-client.properties" "${args[@]}" >>"$LOGS/kafka.log" 2>&1 \
      || { log_tail "$LOGS/kafka.log"; die "kafka-acls ${args[*]} failed; see $LOGS/kafka.log"; }
  done <<<"$rules"
  printf '%s\n' "$hash" >"$STATE/kafka/acls-applied"
}

# ---- kafka connect -----------------------------------------------------------------------------

connect_write_conf() {
  mkdir -p "$STATE/connect" && chmod 700 "$STATE/connect"
  (umask 077 && cat >"$STATE/connect/connect-distributed.properties") <<CONF
# Written by scripts/dataplane up: one distributed worker, REST on loopback only.
bootstrap.servers=127.0.0.1:$PORT_KAFKA
group.id=$CONNECT_GROUP
# Connect and every client it makes (producer., consumer., admin.) authenticate as the connect user.
$(for p in "" producer. consumer. admin.; do
  printf '%ssecurity.protocol=SASL_PLAINTEXT\n%ssasl.mechanism=SCRAM-SHA-512\n' "$p" "$p"
  printf '%ssasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' "$p" "$(secret_value "$KAFKA_AUTH_DIR/connect.properties" user)" "$(secret_value "$KAFKA_AUTH_DIR/connect.properties" password)"
done)
# The worker creates its internal topics itself (compacted, RF 1); the broker never auto-creates.
config.storage.topic=$CONNECT_GROUP-configs
offset.storage.topic=$CONNECT_GROUP-offsets
status.storage.topic=$CONNECT_GROUP-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=5
status.storage.partitions=1
# Converter defaults of the quay.io/debezium/connect image, so unconfigured connectors behave alike.
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
# Tests restart connectors and expect them to resume where they were, not a minute behind.
offset.flush.interval.ms=1000
listeners=http://127.0.0.1:$PORT_CONNECT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$PORT_CONNECT
plugin.path=$DEBEZIUM_DIST/plugins$(mongo_sink_plugin_path)
# Every jar here ships ServiceLoader manifests; skipping the reflective scan saves ~10s of startup.
plugin.discovery=service_load
# Every REST call needs credentials (Kafka's basic-auth extension; users in rest-auth/).
rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension
config.providers=file
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
# Connector configs may only dereference files in the secrets dir.
config.providers.file.param.allowed.paths=$SECRETS
CONF
}

connect_start() {
  if is_up connect; then log "connect: already running on 127.0.0.1:$PORT_CONNECT"; return 0; fi
  connect_write_conf
  printf 'KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="%s";\n};\n' \
    "$STATE/rest-auth/users.properties" >"$STATE/rest-auth/jaas.conf"
  log "connect: starting distributed worker, REST on 127.0.0.1:$PORT_CONNECT (credentials required)"
  spawn connect "$JAVA" "${CONNECT_HEAP[@]}" "${JVM_COMMON[@]}" "-Djava.security.auth.login.config=$STATE/rest-auth/jaas.conf" -cp "$KAFKA_DIST/libs/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$STATE/connect/connect-distributed.properties"
}

connect_healthy() {
  # Credentials through curl's config on stdin, not its command line (which `ps` shows).
  printf 'user = "%s:%s"\n' "$CONNECT_USER" "$CONNECT_PASSWORD" |
    curl -sf --max-time 3 -K - "http://127.0.0.1:$PORT_CONNECT/connector-plugins" | grep -q "\"$DEBEZIUM_PLUGIN_CLASS\""
}
