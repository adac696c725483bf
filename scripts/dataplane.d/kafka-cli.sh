# shellcheck shell=bash
# Kafka's command-line tools without a Kafka tarball: the main classes its bin/*.sh scripts run,
# on the classpath `install` resolved.

declare -A KAFKA_TOOLS=(
  [kafka-topics]=org.apache.kafka.tools.TopicCommand
  [kafka-consumer-groups]=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
  [kafka-console-consumer]=org.apache.kafka.tools.consumer.ConsoleConsumer
  [kafka-console-producer]=org.apache.kafka.tools.ConsoleProducer
  [kafka-configs]=kafka.admin.ConfigCommand
  [kafka-acls]=org.apache.kafka.tools.AclCommand
  [kafka-get-offsets]=org.apache.kafka.tools.GetOffsetShell
  [kafka-delete-records]=org.apache.kafka.tools.DeleteRecordsCommand
)

# Short-lived JVMs: C1 only and a small heap start in about a second instead of three.
kafka_java() {
  local main=$1; shift
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$DP_LIB_DIR/log4j2-tools.properties" \
    -cp "$KAFKA_DIST/libs/*" "$main" "$@"
}

cmd_kafka_tool() {
  local name=$1; shift
  local main=${KAFKA_TOOLS[$name]:-}
  [[ -n $main ]] || die "unknown Kafka tool '$name'; available: $(printf '%s\n' "${!KAFKA_TOOLS[@]}" | sort | tr '\n' ' ')"
  require_installed
  local a
  for a in "$@"; do
    if [[ $a == --bootstrap-server || $a == --bootstrap-server=* || $a == -h || $a == --help || $a == --command-config || $a == --consumer.config || $a == --producer.config ]]; then
      kafka_java "$main" "$@"
      return
    fi
  done
  load_ports
  if [[ -z ${PORT_KAFKA:-} ]] || ! service_pid kafka >/dev/null; then
    die "the Kafka broker is not running; run scripts/dataplane up (or pass --bootstrap-server)"
  fi
  # As the admin (super user): the wrappers are the operator's tools. The console clients take
  # their client config under another flag name.
  local config_flag=--command-config
  case $name in
    kafka-console-consumer) config_flag=--consumer.config ;;
    kafka-console-producer) config_flag=--producer.config ;;
  esac
  kafka_java "$main" --bootstrap-server "127.0.0.1:$PORT_KAFKA" "$config_flag" "$KAFKA_AUTH_DIR/admin-client.properties" "$@"
}
