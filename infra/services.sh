#!/usr/bin/env bash
# Start, stop, scale and check the service instances of the local stack, and the balancer in front of them.
#   infra/services.sh start            start what SCALE asks (default: one instance of each service), no wait
#   infra/services.sh wait [seconds]   wait until every started instance answers /readyz, then put it in the
#                                      balancer (infra/balancer.sh, started if needed) and wait until each service
#                                      answers /readyz on its own port
#   infra/services.sh scale intake=4 cases=2 …   on a running stack: up (start, wait ready, add to the balancer)
#                                      or down (leave the balancer, whose old worker finishes the requests it
#                                      holds; then SIGTERM: requests in flight finish, consumers leave their group,
#                                      the relay releases its outbox slots; SIGKILL after 20 s)
#   infra/services.sh stop             the balancer (its requests finish), then every instance
#   infra/services.sh status           every service on its own port, every instance with pid, port and readiness
#
# SCALE="intake=3 cases=2 projections=2": instances per service (1-9) for `start`; a service it does not name keeps
# the instances it runs, or gets one. Instance i of a service listens on its own port (infra/ports.sh: intake's
# 8011-8019, cases' 8021-8029, …) and keeps its pid and log in .run/pids/<service>-<i>.pid and
# .run/logs/<service>-<i>.log (`.starting` until it is ready, `.stopping` while it drains). SERVICES_PORT_BASE moves
# every port (infra/ports.sh); another base names its files <service>-<i>-<base>.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
RUN="$ROOT/.run"
# The services and their own ports: the one table every port of the local stack comes from (infra/ports.sh).
SERVICES=(intake:8001 cases:8002 enforcement:8003 accountability:8004 projections:8005)
# shellcheck source=infra/ports.sh
source "$ROOT/infra/ports.sh"
load_services_table
BALANCER=(bash "$ROOT/infra/balancer.sh")
if [[ "$SERVICES_PORT_BASE" == 8000 ]]; then SUFFIX=""; else SUFFIX="-$SERVICES_PORT_BASE"; fi
mkdir -p "$RUN/logs" "$RUN/pids"

die() { echo "services.sh: error: $*" >&2; exit 1; }

file() { echo "$RUN/pids/$1-$2$SUFFIX.$3"; }  # name, instance, pid|starting|stopping

pid_in() { [[ -f "$1" ]] && tr -dc '0-9' <"$1"; }

alive_file() { local pid; pid="$(pid_in "$1")" && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }

ready() { curl -fsS -m 3 "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

# Instance numbers of a service in a state (pid = serving, starting, stopping), alive ones only; dead files go.
instances() {
  local name="$1" state="$2" f i
  for f in "$RUN/pids/$name"-[1-9]"$SUFFIX.$state"; do
    [[ -f "$f" ]] || continue
    if ! alive_file "$f"; then rm -f "$f"; continue; fi
    i="${f#"$RUN/pids/$name"-}"
    echo "${i%"$SUFFIX.$state"}"
  done
}

count() { instances "$1" pid | wc -l; }

# A stack started before instances existed ran `<service>.pid` on the service's own port, now the balancer's.
stop_legacy() {
  local name f pid
  [[ -z "$SUFFIX" ]] || return 0
  for name in "${STACK_NAMES[@]}"; do
    f="$RUN/pids/$name.pid"
    [[ -f "$f" ]] || continue
    pid="$(pid_in "$f" || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      echo "services.sh: stopping $name (pid $pid), started before instances, to run it as $name-1" >&2
      terminate "$pid"
    fi
    rm -f "$f"
  done
}

terminate() {  # pids: SIGTERM, wait up to 20 s, SIGKILL
  local pid
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq 1 100); do
    local left=0
    for pid in "$@"; do if kill -0 "$pid" 2>/dev/null; then left=1; fi; done
    ((left)) || return 0
    sleep 0.2
  done
  kill -KILL "$@" 2>/dev/null || true
}

launch() {  # name, instance: starts it; its pid file says .starting until `promote`
  local name="$1" i="$2" port
  port="$(instance_port "$name" "$i")"
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    die "port $port ($name-$i) is already in use (see: ss -ltnp 'sport = :$port')"
  fi
  # intake's public rate limit and the audit events of reads (intake, projections) key on the address the proxy
  # (infra/proxy.sh, on this machine) puts in X-Forwarded-For, believed only from the addresses in TRUSTED_PROXIES
  # (the balancer passes it on unchanged);
  # a cluster's every node in the bootstrap list and its size as the topics' copies (shared/stack_keys.py), also for an
  # instance `make scale` starts without KAFKA_NODES in its environment
  local env=(PORT="$port" KAFKA_NODES="${KAFKA_NODES:-$(bash "$ROOT/infra/kafka.sh" nodes)}")
  if [[ "$name" == intake || "$name" == projections ]]; then env+=(TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1}"); fi
  # The stack's own PostgreSQL over its Unix socket when it has one here (infra/ports.sh local_database_url)
  local database_url
  if [[ -z "${DATABASE_URL:-}" ]] && database_url="$(local_database_url "$ROOT/.run")"; then
    env+=(DATABASE_URL="$database_url")
  fi
  # exec keeps the pid (stack_keys exec too, with CONTACT_KEYS and METRICS_TOKEN from .run/secrets.env unless the
  # environment sets them, signed in to the broker as the service's own user); setsid detaches it from this
  # shell's session and terminal
  (cd "$ROOT" && exec env "${env[@]}" setsid "$PY" -m shared.stack_keys --state-dir "$RUN" exec --as "$name" \
    "$PY" -m "services.$name") \
    >>"$RUN/logs/$name-$i$SUFFIX.log" 2>&1 </dev/null &
  echo $! >"$(file "$name" "$i" starting)"
}

# Waits until every starting instance answers /readyz and names it serving (.pid); returns 1 if one exited.
promote_all() {
  local deadline=$((SECONDS + ${1:-120})) name i port f
  for name in "${STACK_NAMES[@]}"; do
    for f in "$RUN/pids/$name"-[1-9]"$SUFFIX.starting"; do
      [[ -f "$f" ]] || continue
      i="${f#"$RUN/pids/$name"-}" && i="${i%"$SUFFIX.starting"}"
      port="$(instance_port "$name" "$i")"
      until ready "$port"; do
        if ! alive_file "$f"; then
          rm -f "$f"
          echo "instance $name-$i exited; last lines of .run/logs/$name-$i$SUFFIX.log:" >&2
          tail -n 30 "$RUN/logs/$name-$i$SUFFIX.log" >&2
          return 1
        fi
        ((SECONDS <= deadline)) || die "instance $name-$i not ready on port $port in time; see .run/logs/$name-$i$SUFFIX.log"
        sleep 0.3
      done
      mv "$f" "$(file "$name" "$i" pid)"
    done
  done
}

balance() { "${BALANCER[@]}" start; }  # starts it, or reloads it from the pid files

# Waits until each service answers /readyz on its own port, through the balancer (its checks take 1-2 s).
wait_balanced() {
  local deadline=$((SECONDS + 30)) name port
  for name in "${STACK_NAMES[@]}"; do
    (($(count "$name") > 0)) || continue
    port="$(service_port "$name")"
    until ready "$port"; do
      ((SECONDS <= deadline)) || die "$name does not answer through the balancer on port $port; see .run/logs/balancer$SUFFIX.log"
      sleep 0.2
    done
  done
}

# Asked instances per service, from "name=n …" (SCALE, or scale's arguments); unknown names and counts refused.
declare -A WANT=()
parse_scale() {
  local item name n
  for item in "$@"; do
    if [[ "$item" =~ ^[A-Z_][A-Z0-9_]*= ]]; then continue; fi  # another make variable (PROXY_PORT=…)
    [[ "$item" =~ ^([a-z]+)=([0-9])$ ]] || die "'$item': write <service>=<0-$MAX_INSTANCES>, e.g. intake=3"
    name="${BASH_REMATCH[1]}" n="${BASH_REMATCH[2]}"
    service_number "$name" >/dev/null || exit 2
    WANT[$name]="$n"
  done
}

free_numbers() {  # name, how many: instance numbers in use by no file
  local name="$1" want="$2" i
  for i in $(seq 1 "$MAX_INSTANCES"); do
    ((want > 0)) || break
    if ! ls "$RUN/pids/$name-$i$SUFFIX".* >/dev/null 2>&1; then echo "$i"; want=$((want - 1)); fi
  done
}

# Down: the highest-numbered instances leave the balancer (its reload returns once the old worker finished its
# requests), then get SIGTERM, all at once.
drain() {
  local pids=() name n i moved=0
  for name in "${!WANT[@]}"; do
    n="${WANT[$name]}"
    for i in $(instances "$name" pid | sort -n | tail -n +"$((n + 1))"); do
      mv "$(file "$name" "$i" pid)" "$(file "$name" "$i" stopping)"
      moved=1
    done
  done
  if ((moved)) && "${BALANCER[@]}" status >/dev/null 2>&1; then "${BALANCER[@]}" reload; fi
  for name in "${STACK_NAMES[@]}"; do
    for i in $(instances "$name" stopping); do
      pids+=("$(pid_in "$(file "$name" "$i" stopping)")")
      echo "services.sh: stopping $name-$i" >&2
    done
  done
  if ((${#pids[@]})); then terminate "${pids[@]}"; fi
  rm -f "$RUN/pids/"*-[1-9]"$SUFFIX.stopping"
}

LAUNCHED=0
launch_wanted() {
  local name n have i
  for name in "${!WANT[@]}"; do
    n="${WANT[$name]}" have="$(count "$name")"
    ((have < n)) || continue
    for i in $(free_numbers "$name" $((n - have))); do launch "$name" "$i"; LAUNCHED=1; done
  done
}

cmd_start() {
  # This install's keys, generated the first time into .run/secrets.env (mode 600) and kept: shared/stack_keys.py
  "$PY" -m shared.stack_keys --state-dir "$RUN" ensure
  stop_legacy
  # shellcheck disable=SC2086
  parse_scale ${SCALE:-}
  local name
  for name in "${STACK_NAMES[@]}"; do
    if [[ -z "${WANT[$name]:-}" ]]; then
      local have; have="$(count "$name")"
      WANT[$name]=$((have > 0 ? have : 1))
    fi
  done
  launch_wanted
  drain
}

cmd_wait() {
  promote_all "${1:-120}" || exit 1
  balance
  wait_balanced
}

cmd_scale() {
  (($#)) || die "usage: infra/services.sh scale intake=4 [cases=2 …]"
  parse_scale "$@"
  "${BALANCER[@]}" status >/dev/null 2>&1 || die "the stack is not running (make up first)"
  launch_wanted
  if ((LAUNCHED)); then cmd_wait 120; fi
  drain
}

cmd_stop() {
  "${BALANCER[@]}" stop
  stop_legacy
  local pids=() name i state f
  for name in "${STACK_NAMES[@]}"; do
    for state in pid starting stopping; do
      for i in $(instances "$name" "$state"); do
        f="$(file "$name" "$i" "$state")"
        pids+=("$(pid_in "$f")")
      done
    done
  done
  if ((${#pids[@]})); then terminate "${pids[@]}"; fi
  rm -f "$RUN/pids/"*-[1-9]"$SUFFIX".{pid,starting,stopping}
}

cmd_status() {
  local name port i state s f
  for name in "${STACK_NAMES[@]}"; do
    port="$(service_port "$name")"
    if ready "$port"; then s=ready; else s=unavailable; fi
    printf '  %-19s http://127.0.0.1:%s  %s (balanced over %s)\n' "$name" "$port" "$s" "$(count "$name")"
    for state in pid starting stopping; do
      for i in $(instances "$name" "$state"); do
        f="$(file "$name" "$i" "$state")"
        port="$(instance_port "$name" "$i")"
        if ready "$port"; then s=ready; else s="not ready"; fi
        [[ "$state" == pid ]] || s="$s, $state"
        printf '    %-17s http://127.0.0.1:%s  pid %-7s %s\n' "$name-$i" "$port" "$(pid_in "$f")" "$s"
      done
    done
  done
  "${BALANCER[@]}" status || true
}

case "${1:-}" in
  start) cmd_start ;;
  wait) cmd_wait "${2:-120}" ;;
  scale) shift; cmd_scale "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|wait [seconds]|scale <service>=<n> …|stop|status" >&2; exit 2 ;;
esac
