# shellcheck shell=bash
# The official MongoDB Kafka sink connector (org.mongodb.kafka:mongo-kafka-connect, the version in
# versions.json "mongoKafkaConnect"), for `npm run bench` only: the peer coexist is measured
# against. Its own cache dir, keyed by its version and by this file's hash (install.sh's hash keys
# the Kafka and Debezium caches, so the sink never touches it). Connect loads it only when
# COEXIST_DATAPLANE_MONGO_SINK=1 is set for `install` and `up`: the test suite's Connect never sees it.

V_MONGO_SINK=$(node -e '
  const v = require(process.argv[1]).mongoKafkaConnect;
  if (typeof v !== "string" || !/^[0-9][A-Za-z0-9._-]*$/.test(v)) {
    console.error(`[dataplane] error: versions.json "mongoKafkaConnect" is ${JSON.stringify(v)}; expected a version such as "2.0.1"`);
    process.exit(1);
  }
  console.log(v);' "$VERSIONS_FILE") || exit 1
MONGO_SINK_DIST="$CACHE_ROOT/mongo-kafka-connect-${V_MONGO_SINK}-$(recipe_hash "${BASH_SOURCE[0]}")"
MONGO_SINK_PLUGIN_CLASS=com.mongodb.kafka.connect.MongoSinkConnector

mongo_sink_wanted() {
  local w=${COEXIST_DATAPLANE_MONGO_SINK:-0}
  [[ $w == 0 || $w == 1 ]] || die "COEXIST_DATAPLANE_MONGO_SINK is \"$w\"; expected 1 (load the MongoDB sink connector into Connect) or 0"
  [[ $w == 1 ]]
}

build_mongo_sink() {
  local out=$1 b="$1/.build" plugin="$1/plugins/mongo-kafka-connect"
  require_maven
  write_pom "$b"
  log "mongo-kafka-connect ${V_MONGO_SINK}: fetching the connector's all-in-one jar with Maven"
  # The `all` jar is what the connector's users drop into a plugin dir: the connector with its
  # MongoDB driver; Kafka's own jars come from the worker.
  mvn_in "$b" dependency:copy -Dartifact="org.mongodb.kafka:mongo-kafka-connect:${V_MONGO_SINK}:jar:all" -DoutputDirectory="$plugin"
  require_files "$plugin/mongo-kafka-connect-${V_MONGO_SINK}-all.jar"
  # The jar has no ServiceLoader manifest, and the data plane's Connect discovers plugins by
  # manifests only (plugin.discovery=service_load, ~10 s faster to start). Kafka's own tool adds
  # them (as a shim jar beside the connector's), as Kafka's docs tell users of plugins that
  # predate KIP-898.
  "$JAVA" -cp "$KAFKA_DIST/libs/*" "-Dlog4j2.configurationFile=$DP_LIB_DIR/log4j2-tools.properties" \
    org.apache.kafka.tools.ConnectPluginPath sync-manifests --plugin-path "$out/plugins" >>"$b/manifests.log" 2>&1 \
    || { log_tail "$b/manifests.log"; die "connect-plugin-path sync-manifests failed on $plugin"; }
  local jar found=0
  for jar in "$plugin"/*.jar; do
    unzip -p "$jar" META-INF/services/org.apache.kafka.connect.sink.SinkConnector 2>/dev/null | grep -qx "$MONGO_SINK_PLUGIN_CLASS" && found=1
  done
  ((found)) || die "mongo-kafka-connect ${V_MONGO_SINK}: no SinkConnector manifest after sync-manifests; see $b/manifests.log"
}

# `scripts/dataplane install` with COEXIST_DATAPLANE_MONGO_SINK=1 (scripts/bench sets it).
mongo_sink_install() {
  mongo_sink_wanted || return 0
  require_java
  install_cached "mongo-kafka-connect ${V_MONGO_SINK}" "$MONGO_SINK_DIST" build_mongo_sink
}

# Appended to Connect's plugin.path by connect_write_conf (kafka.sh): empty unless wanted.
mongo_sink_plugin_path() {
  mongo_sink_wanted || return 0
  [[ -f $MONGO_SINK_DIST/.complete ]] \
    || die "COEXIST_DATAPLANE_MONGO_SINK=1 but mongo-kafka-connect ${V_MONGO_SINK} is not installed; run: COEXIST_DATAPLANE_MONGO_SINK=1 scripts/dataplane install"
  printf ',%s/plugins' "$MONGO_SINK_DIST"
}
