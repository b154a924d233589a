#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) run
# straight from Maven Central jars -- no tarball, no Docker.
#
#   infra/kafka.sh install            resolve jars into .cache/kafka/libs (once)
#   infra/kafka.sh start              install if needed, format storage once, start, wait until ready
#   infra/kafka.sh stop               SIGTERM, wait up to 30 s, then SIGKILL
#   infra/kafka.sh status             exit 0 if running
#   infra/kafka.sh topics [NAME...]   create topics (idempotent); no NAME: list topics
#   infra/kafka.sh perf ARGS...       org.apache.kafka.tools.ProducerPerformance ARGS
#   infra/kafka.sh consumer-perf ARGS org.apache.kafka.tools.ConsumerPerformance ARGS
#   infra/kafka.sh tool CLASS ARGS... any main class on the Kafka classpath
#   infra/kafka.sh logs [N]           last N lines of the broker log
#
# Environment:
#   KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093)  listeners on 127.0.0.1.  A
#       non-default KAFKA_PORT gets its own state (.run/kafka-<port>/, kafka-<port>.log/.pid)
#       so a second broker can run next to the default one.
#   KAFKA_VERSION (4.1.1)        must be a 4.x version (log4j2 logging set-up)
#   KAFKA_HEAP_OPTS ("-Xms256m -Xmx512m")
#   KAFKA_START_TIMEOUT (90)     seconds to wait for the broker to become ready
#   KAFKA_TOPIC_PARTITIONS (3)   partitions for `topics`
#   KAFKA_VERBOSE=1              show progress messages
#
# Generated files: .cache/m2 (Maven repo), .cache/kafka/libs (jars),
# .run/kafka/{server.properties,cluster.id,data}, .run/logs/kafka.log, .run/pids/kafka.pid
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_TOPIC_PARTITIONS="${KAFKA_TOPIC_PARTITIONS:-3}"
KAFKA_VERBOSE="${KAFKA_VERBOSE:-0}"

M2_REPO="$ROOT/.cache/m2"
LIBS="$ROOT/.cache/kafka/libs"
MARKER="$LIBS/.installed"
POM="$INFRA/kafka/pom.xml"
LOG4J_BROKER="$INFRA/kafka/log4j2.properties"
LOG4J_TOOLS="$INFRA/kafka/log4j2-tools.properties"

if [[ "$KAFKA_PORT" == 9092 ]]; then NAME=kafka; else NAME="kafka-$KAFKA_PORT"; fi
RUN_DIR="$ROOT/.run/$NAME"
DATA_DIR="$RUN_DIR/data"
PROPS="$RUN_DIR/server.properties"
CLUSTER_ID_FILE="$RUN_DIR/cluster.id"
LOG_DIR="$ROOT/.run/logs"
LOG_FILE="$LOG_DIR/$NAME.log"
PID_DIR="$ROOT/.run/pids"
PID_FILE="$PID_DIR/$NAME.pid"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

die()  { echo "kafka.sh: error: $*" >&2; exit 1; }
info() { if [[ "$KAFKA_VERBOSE" == 1 ]]; then echo "kafka.sh: $*" >&2; fi; }
say()  { echo "kafka.sh: $*" >&2; }

now_ms() { date +%s%3N; }

need_java() {
  command -v java >/dev/null 2>&1 || die "java not found (Kafka ${KAFKA_VERSION} needs Java 17+: apt-get install -y openjdk-17-jre-headless)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Java 17+ required, found: $(java -version 2>&1 | head -1)"
}

# ---------------------------------------------------------------- install
marker_content() {
  # version + hash of the pom/logging set-up: any change triggers a re-resolve
  echo "kafka=$KAFKA_VERSION pom=$(sha256sum "$POM" | cut -c1-16)"
}

is_installed() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(marker_content)" ]] \
    && compgen -G "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

cmd_install() {
  if is_installed; then info "jars already in $LIBS"; return 0; fi
  need_java
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install -y maven)"
  [[ "$KAFKA_VERSION" == 4.* ]] || die "KAFKA_VERSION=$KAFKA_VERSION: only 4.x is supported by this script (3.x logs via reload4j, not log4j2)"
  mkdir -p "$M2_REPO" "$LOG_DIR" "$(dirname "$LIBS")"
  local tmp="$LIBS.tmp.$$" t0 out="$LOG_DIR/kafka-install.log"
  rm -rf "$tmp"
  say "resolving Kafka $KAFKA_VERSION jars from Maven Central (first time: ~1 min)..."
  t0=$(now_ms)
  if ! mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" -f "$POM" \
        -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars (full output: $out)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after resolution (see $out)"; }
  marker_content >"$tmp/.installed"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "installed $(ls "$LIBS"/*.jar | wc -l) jars into ${LIBS#"$ROOT"/} in $(( ($(now_ms) - t0) / 1000 ))s"
}

# --------------------------------------------------------------- helpers
# quick JVM settings for short-lived CLI tools (startup matters, not throughput)
TOOL_JVM=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto)

run_tool() {  # run_tool [jvm opts...] -- MAIN ARGS...
  local jvm=()
  while [[ $# -gt 0 && "$1" != -- ]]; do jvm+=("$1"); shift; done
  [[ "${1:-}" == -- ]] && shift
  java "${jvm[@]}" -Dlog4j2.configurationFile="$LOG4J_TOOLS" -cp "$LIBS/*" "$@"
}

port_open() {  # port_open PORT
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

read_pid() { [[ -f "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE" || true; }

# pid from the pid file, if that process is alive and really is our broker
live_pid() {
  local pid
  pid="$(read_pid)"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS" || return 1
  echo "$pid"
}

broker_ready() {  # log line written after the broker is unfenced + port answers
  grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null && port_open "$KAFKA_PORT"
}

write_properties() {
  mkdir -p "$RUN_DIR" "$DATA_DIR"
  local tmp="$PROPS.tmp"
  cat >"$tmp" <<EOF
# generated by infra/kafka.sh -- edits are overwritten on every start
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

# internal topics: single node
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# small machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  mv "$tmp" "$PROPS"
}

format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  local cid
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(cat "$CLUSTER_ID_FILE")"
  else
    cid="$(run_tool "${TOOL_JVM[@]}" -- kafka.tools.StorageTool random-uuid | tail -n 1 | tr -d '[:space:]')"
    [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid returned nothing"
    echo "$cid" >"$CLUSTER_ID_FILE"
  fi
  info "formatting $DATA_DIR (cluster id $cid)"
  local out
  if ! out="$(run_tool "${TOOL_JVM[@]}" -- kafka.tools.StorageTool format --standalone -t "$cid" -c "$PROPS" 2>&1)"; then
    echo "$out" >&2
    die "storage format failed for $DATA_DIR"
  fi
}

# ----------------------------------------------------------------- start
cmd_start() {
  local t0 pid
  t0=$(now_ms)
  if pid="$(live_pid)"; then
    if broker_ready; then info "already running (pid $pid) on $BOOTSTRAP"; return 0; fi
    info "process $pid exists but is not ready yet; waiting"
  else
    rm -f "$PID_FILE"
    if port_open "$KAFKA_PORT"; then
      die "port $KAFKA_PORT is already in use by another process (not started by this script; see: ss -ltnp 'sport = :$KAFKA_PORT')"
    fi
    if port_open "$KAFKA_CONTROLLER_PORT"; then
      die "controller port $KAFKA_CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"
    fi
    need_java
    cmd_install
    mkdir -p "$LOG_DIR" "$PID_DIR"
    write_properties
    format_storage
    [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
    # setsid: own session, survives the calling shell; the wrapper writes its own
    # pid and then execs java, so the pid file holds the JVM's pid.
    # shellcheck disable=SC2086,SC2016
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
      java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_BROKER" \
        -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$LIBS/*" kafka.Kafka "$PROPS" \
      >"$LOG_FILE" 2>&1 </dev/null &
    local i=0
    while [[ ! -s "$PID_FILE" && $i -lt 50 ]]; do sleep 0.1; i=$((i + 1)); done
    pid="$(read_pid)"
    [[ -n "$pid" ]] || die "could not start the broker (no pid written; see $LOG_FILE)"
  fi
  local deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while ! broker_ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "broker process $pid exited during start-up (log: $LOG_FILE)"
    fi
    if [[ $(date +%s) -ge $deadline ]]; then
      tail -n 40 "$LOG_FILE" >&2 || true
      die "broker not ready on $BOOTSTRAP after ${KAFKA_START_TIMEOUT}s (pid $pid still running; log: $LOG_FILE)"
    fi
    sleep 0.2
  done
  say "started on $BOOTSTRAP (pid $pid) in $(( ($(now_ms) - t0) / 1000 )).$(( ($(now_ms) - t0) % 1000 / 100 ))s"
}

# ------------------------------------------------------------------ stop
cmd_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    rm -f "$PID_FILE"
    info "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while kill -0 "$pid" 2>/dev/null && [[ $i -lt 300 ]]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    say "broker (pid $pid) did not stop within 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(live_pid)" && port_open "$KAFKA_PORT"; then
    echo "kafka: running (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  echo "kafka: stopped"
  return 1
}

# ---------------------------------------------------------------- topics
require_running() {
  live_pid >/dev/null || die "broker is not running (infra/kafka.sh start)"
  is_installed || die "jars not installed (infra/kafka.sh install)"
}

cmd_topics() {
  require_running
  if [[ $# -eq 0 ]]; then
    run_tool "${TOOL_JVM[@]}" -- org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list
    return
  fi
  local t
  for t in "$@"; do
    [[ "$t" =~ ^[A-Za-z0-9._-]{1,249}$ ]] || die "invalid topic name: '$t'"
    run_tool "${TOOL_JVM[@]}" -- org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
      --create --if-not-exists --topic "$t" \
      --partitions "$KAFKA_TOPIC_PARTITIONS" --replication-factor 1 >/dev/null \
      || die "could not create topic '$t'"
    info "topic $t ok"
  done
}

cmd_perf() {
  is_installed || die "jars not installed (infra/kafka.sh install)"
  run_tool -Xms256m -Xmx512m -- org.apache.kafka.tools.ProducerPerformance "$@"
}

cmd_consumer_perf() {
  is_installed || die "jars not installed (infra/kafka.sh install)"
  run_tool -Xms256m -Xmx512m -- org.apache.kafka.tools.ConsumerPerformance "$@"
}

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: infra/kafka.sh tool MAIN_CLASS [ARGS...]"
  is_installed || die "jars not installed (infra/kafka.sh install)"
  run_tool -- "$@"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install)       cmd_install ;;
    start)         cmd_start ;;
    stop)          cmd_stop ;;
    restart)       cmd_stop; cmd_start ;;
    status)        cmd_status ;;
    topics)        cmd_topics "$@" ;;
    perf)          cmd_perf "$@" ;;
    consumer-perf) cmd_consumer_perf "$@" ;;
    tool)          cmd_tool "$@" ;;
    logs)          tail -n "${1:-50}" "$LOG_FILE" ;;
    -h|--help|help) usage ;;
    "")            usage >&2; exit 2 ;;
    *)             usage >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
