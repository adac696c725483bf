# shellcheck shell=bash
# The KRaft broker and the Connect worker: JVMs on the jars `install` resolved, loopback only.

DEBEZIUM_PLUGIN_CLASS=io.debezium.connector.postgresql.PostgresConnector
# The one user of Connect's REST API (as in the stack: components/connect/connect.ts).
CONNECT_USER=coexist

# A small fixed heap on SerialGC: the machines have 2 cores, and G1's extra threads and footprint buy nothing here.
JVM_COMMON=(-XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$DP_LIB_DIR/log4j2-server.properties")
read -r -a KAFKA_HEAP <<<"${COEXIST_KAFKA_HEAP:--Xms128m -Xmx512m}"
read -r -a CONNECT_HEAP <<<"${COEXIST_CONNECT_HEAP:--Xms128m -Xmx512m}"

# ---- kafka broker ------------------------------------------------------------------------------

kafka_write_conf() {
  mkdir -p "$STATE/kafka"
  cat >"$STATE/kafka/server.properties" <<CONF
# Written by scripts/dataplane up: one combined broker+controller, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$PORT_CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT_KAFKA,CONTROLLER://127.0.0.1:$PORT_CONTROLLER
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT_KAFKA
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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
  [[ -f $STATE/kafka/data/meta.properties ]] && return 0
  local id
  id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka.log") || die "kafka-storage random-uuid failed; see $LOGS/kafka.log"
  log "kafka: formatting the KRaft log dir (cluster $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$STATE/kafka/server.properties" >>"$LOGS/kafka.log" 2>&1 \
    || { log_tail "$LOGS/kafka.log"; die "kafka-storage format failed; see $LOGS/kafka.log"; }
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
  port_busy "$PORT_KAFKA" && kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$PORT_KAFKA"
}

# ---- kafka connect -----------------------------------------------------------------------------

connect_write_conf() {
  mkdir -p "$STATE/connect"
  cat >"$STATE/connect/connect-distributed.properties" <<CONF
# Written by scripts/dataplane up: one distributed worker, REST on loopback only.
bootstrap.servers=127.0.0.1:$PORT_KAFKA
group.id=coexist-connect
# The worker creates its internal topics itself (compacted, RF 1); the broker never auto-creates.
config.storage.topic=coexist-connect-configs
offset.storage.topic=coexist-connect-offsets
status.storage.topic=coexist-connect-status
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
