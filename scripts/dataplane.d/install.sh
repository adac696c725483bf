# shellcheck shell=bash
# `dataplane install`: PostgreSQL from apt, Kafka + Connect and the Debezium plugin from Maven Central,
# FerretDB from the Go module proxy. Each lands in a per-version cache dir and is reused by every clone.

# Runs BUILDER into a scratch dir and renames it into place only when it finished, so an
# interrupted install never leaves a half-filled dir that later runs would take as cached.
install_cached() {
  local label=$1 dest=$2 builder=$3
  if [[ -f $dest/.complete ]]; then
    log "$label: cached ($dest)"
    return 0
  fi
  local tmp="$dest.partial.$$" t0=$SECONDS
  rm -rf "$tmp" && mkdir -p "$tmp"
  "$builder" "$tmp"
  rm -rf "$tmp/.build"
  date -Is >"$tmp/.complete"
  rm -rf "$dest" && mv "$tmp" "$dest"
  log "$label: installed in $((SECONDS - t0))s ($dest)"
}

require_maven() {
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka and Debezium jars: apt-get install maven"
}

# mvn_in DIR GOAL-ARGS...: runs Maven quietly with its output kept in DIR/mvn.log for the error message.
mvn_in() {
  local dir=$1; shift
  if ! mvn -B -q -f "$dir/pom.xml" "$@" >>"$dir/mvn.log" 2>&1; then
    log_tail "$dir/mvn.log" 40
    die "Maven failed ($*); the full log is $dir/mvn.log. Check that Maven Central is reachable and the versions in versions.json exist there"
  fi
}

# write_pom DIR DEPENDENCY...: each dependency is groupId:artifactId:version.
write_pom() {
  local dir=$1; shift
  mkdir -p "$dir"
  {
    printf '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n'
    printf '  <groupId>local.coexist</groupId><artifactId>dataplane-fetch</artifactId><version>0</version><packaging>pom</packaging>\n  <dependencies>\n'
    local d g a v
    for d in "$@"; do
      IFS=: read -r g a v <<<"$d"
      printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$g" "$a" "$v"
    done
    printf '  </dependencies>\n</project>\n'
  } >"$dir/pom.xml"
}

require_files() {
  local f
  for f in "$@"; do [[ -f $f ]] || die "expected $f after the download but it is missing; delete $(dirname "$f") and re-run install"; done
}

# Captured first: with pipefail, `apt-cache | grep -q` fails whenever grep exits before apt-cache is done.
apt_has_candidate() {
  local policy
  policy=$(apt-cache policy "$1" 2>/dev/null || true)
  [[ $policy == *"Candidate: "[0-9]* ]]
}

install_postgres() {
  if [[ -x $PG_BIN/postgres && -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]]; then
    log "postgresql-${V_POSTGRES}: present ($PG_BIN)"
    return 0
  fi
  local pkg="postgresql-${V_POSTGRES}"
  command -v apt-get >/dev/null || die "$PG_BIN is missing and this machine has no apt-get; install PostgreSQL ${V_POSTGRES} server binaries there"
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "$pkg is not installed and installing it needs root: run 'apt-get install -y $pkg' as root"
    sudo=(sudo)
  fi
  if ! apt_has_candidate "$pkg"; then
    log "$pkg: refreshing the apt lists"
    "${sudo[@]}" apt-get update -qq >/dev/null || die "apt-get update failed; check the apt sources"
  fi
  apt_has_candidate "$pkg" \
    || die "$pkg is not available from this machine's apt sources (Debian 12 ships postgresql-15): set \"postgres\" in versions.json to a version apt offers"
  log "$pkg: installing from apt"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null \
    || die "apt-get install $pkg failed; run it by hand to see why"
  [[ -x $PG_BIN/postgres ]] || die "$pkg installed but $PG_BIN/postgres is missing"
}

build_kafka() {
  local out=$1 b="$1/.build"
  require_maven
  write_pom "$b" \
    "org.apache.kafka:kafka_${V_SCALA}:${V_KAFKA}" \
    "org.apache.kafka:kafka-tools:${V_KAFKA}" \
    "org.apache.kafka:connect-runtime:${V_KAFKA}" \
    "org.apache.kafka:connect-json:${V_KAFKA}" \
    "org.apache.kafka:connect-transforms:${V_KAFKA}" \
    "org.apache.kafka:connect-basic-auth-extension:${V_KAFKA}"
  log "kafka ${V_KAFKA}: resolving the broker, Connect and tools jars with Maven"
  mvn_in "$b" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/libs"
  # Kafka's poms leave the slf4j binding to the release tarball; take the one matching the resolved log4j.
  local cores log4j
  cores=("$out"/libs/log4j-core-*.jar)
  [[ -f ${cores[0]} ]] || die "kafka ${V_KAFKA}: log4j-core was not among the resolved jars; cannot configure logging"
  log4j=${cores[0]##*/log4j-core-}; log4j=${log4j%.jar}
  mvn_in "$b" dependency:copy -Dartifact="org.apache.logging.log4j:log4j-slf4j-impl:$log4j" -DoutputDirectory="$out/libs"
  require_files "$out/libs/kafka_${V_SCALA}-${V_KAFKA}.jar" "$out/libs/connect-runtime-${V_KAFKA}.jar" "$out/libs/connect-basic-auth-extension-${V_KAFKA}.jar" \
    "$out/libs/kafka-tools-${V_KAFKA}.jar" "$out/libs/log4j-slf4j-impl-$log4j.jar"
}

build_debezium() {
  local out=$1 b="$1/.build" plugin="$1/plugins/debezium-connector-postgres"
  require_maven
  write_pom "$b" "io.debezium:debezium-connector-postgres:${V_DEBEZIUM}"
  log "debezium ${V_DEBEZIUM}: resolving the Postgres connector plugin with Maven"
  # slf4j and Jackson's core must come from the worker classpath only: Debezium's CloudEventsConverter
  # calls JsonConverter methods whose signatures name Jackson types, and a second copy in the plugin's
  # classloader makes those lookups fail (NoSuchMethodException at plugin scan). Kafka's own jars
  # (connect-api, kafka-clients, which Debezium 3.6 declares at runtime scope) are the worker's too.
  mvn_in "$b" dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.slf4j,org.apache.kafka \
    -DexcludeArtifactIds=jackson-core,jackson-databind,jackson-annotations -DoutputDirectory="$plugin"
  # From 3.6 debezium-core is split (debezium-connector-common, -api, -config, -util).
  require_files "$plugin/debezium-connector-postgres-${V_DEBEZIUM}.jar" "$plugin/debezium-api-${V_DEBEZIUM}.jar"
  compgen -G "$plugin/debezium-co*-${V_DEBEZIUM}.jar" >/dev/null || die "debezium ${V_DEBEZIUM}: neither debezium-core nor debezium-connector-common was resolved"
  compgen -G "$plugin/postgresql-*.jar" >/dev/null || die "debezium ${V_DEBEZIUM}: the PostgreSQL JDBC driver was not resolved"
  check_kafka_coherence "$b" "$out"
}

# The stack deploys quay.io/debezium/connect, which embeds the Kafka its Debezium release was built
# against; the local worker must run that same Kafka or the tests exercise a different runtime.
check_kafka_coherence() {
  local b=$1 out=$2 built
  mvn_in "$b" dependency:copy -Dartifact="io.debezium:debezium-build-parent:${V_DEBEZIUM}:pom" -DoutputDirectory="$b"
  built=$(sed -n 's:.*<version\.kafka>\(.*\)</version\.kafka>.*:\1:p' "$b/debezium-build-parent-${V_DEBEZIUM}.pom" | head -n1)
  [[ -n $built ]] || die "debezium ${V_DEBEZIUM}: no <version.kafka> in debezium-build-parent's pom; cannot check it against Kafka ${V_KAFKA}"
  [[ $built == "$V_KAFKA" ]] \
    || die "Debezium ${V_DEBEZIUM} is built against Kafka $built but versions.json pins kafka ${V_KAFKA}: set \"kafka\" (and images.kafka) to $built, or pick the Debezium release built for ${V_KAFKA}"
  printf '%s\n' "$built" >"$out/kafka.version"
}

build_ferretdb() {
  local out=$1 b="$1/.build"
  command -v go >/dev/null || die "Go is needed to build FerretDB ${V_FERRETDB}: install Go 1.22+"
  mkdir -p "$b" "$out/bin"
  cp "$DP_LIB_DIR/ferretdb/main.go" "$b/"
  log "ferretdb ${V_FERRETDB}: building from the Go module proxy (first time takes a minute or two)"
  # A throwaway module: FerretDB's version stays pinned in versions.json alone, not in a committed go.mod.
  (
    cd "$b"
    export CGO_ENABLED=0
    go mod init coexist.local/dataplane-ferretdb
    go get "github.com/FerretDB/FerretDB/ferretdb@${V_FERRETDB}"
    go build -o "$out/bin/ferretdb" .
  ) >"$b/go.log" 2>&1 || {
    log_tail "$b/go.log" 40
    cp "$b/go.log" "$CACHE_ROOT/ferretdb-build.log" 2>/dev/null || true
    die "building FerretDB ${V_FERRETDB} failed; log kept in $CACHE_ROOT/ferretdb-build.log"
  }
  "$out/bin/ferretdb" -h >/dev/null 2>&1 || die "the built $out/bin/ferretdb does not run"
}

cmd_install() {
  local t0=$SECONDS
  mkdir -p "$CACHE_ROOT"
  # Two clones installing at once would otherwise race on the same cache dir.
  exec 9>"$CACHE_ROOT/.install.lock"
  flock -w 1800 9 || die "another install holds $CACHE_ROOT/.install.lock for 30 minutes; check for a stuck install"
  install_postgres
  require_java
  install_cached "kafka ${V_KAFKA} (scala ${V_SCALA})" "$KAFKA_DIST" build_kafka
  install_cached "debezium ${V_DEBEZIUM}" "$DEBEZIUM_DIST" build_debezium
  install_cached "ferretdb ${V_FERRETDB}" "$FERRETDB_DIST" build_ferretdb
  exec 9>&-
  log "install complete in $((SECONDS - t0))s (cache: $CACHE_ROOT)"
}

# Guard used by every command that runs something: a clear pointer to install rather than a java stack trace.
require_installed() {
  local missing=()
  [[ -x $PG_BIN/postgres ]] || missing+=("postgresql-${V_POSTGRES}")
  [[ -f $KAFKA_DIST/.complete ]] || missing+=("kafka ${V_KAFKA}")
  [[ -f $DEBEZIUM_DIST/.complete ]] || missing+=("debezium ${V_DEBEZIUM}")
  [[ -f $FERRETDB_DIST/.complete ]] || missing+=("ferretdb ${V_FERRETDB}")
  ((${#missing[@]} == 0)) || die "not installed: ${missing[*]}; run: scripts/dataplane install"
}
