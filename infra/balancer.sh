#!/usr/bin/env bash
# The balancer (负载均衡): Debian's HAProxy 2.6 as the project's own process, never the system's service. It listens
# on each service's own port (8001-8005) and spreads the requests over the service's instances (infra/services.sh
# runs them on 8011-8019, 8021-8029, …: infra/ports.sh), each checked every second on /readyz: an instance that
# answers anything but 200 twice gets no new request until it answers 200 twice again. nginx (infra/proxy.sh) keeps
# proxying /api/<service>/ to the service's own port, so every address stays what it was with one instance.
#
#   infra/balancer.sh start    install if needed, render, check (haproxy -c), start (master-worker), wait until it listens
#   infra/balancer.sh reload   render again from the instances' pid files, check, and reload without dropping a
#                              connection (SIGUSR2 to the master: a new worker takes the ports, the old ones finish
#                              the requests they hold and exit); returns once the old workers are gone
#   infra/balancer.sh stop     soft stop (open requests finish), SIGKILL after 15 s
#   infra/balancer.sh status   one line as `make status` prints it; exit 0 if it runs
#   infra/balancer.sh render   print the configuration it would run
#
# The servers of a backend are the instances whose pid file is `.run/pids/<service>-<i>.pid` (infra/services.sh
# names an instance's file so only once it answered /readyz, and renames it to `.stopping` before it drains it).
# SERVICES_PORT_BASE moves the ports (infra/ports.sh) and gives the balancer state of its own (balancer-<base>).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra"
# shellcheck source=infra/ports.sh
source "$INFRA/ports.sh"
# shellcheck source=infra/apt.sh
source "$INFRA/apt.sh"
# shellcheck source=infra/daemon.sh
source "$INFRA/daemon.sh"
load_services_table

if [[ "$SERVICES_PORT_BASE" == 8000 ]]; then SUFFIX=""; else SUFFIX="-$SERVICES_PORT_BASE"; fi
NAME="balancer$SUFFIX"
STACK_RUN="${STACK_RUN:-$ROOT/.run}"  # the stack's state folder (a test renders from one of its own)
RUN_DIR="$STACK_RUN/$NAME"
CONF="$RUN_DIR/haproxy.cfg"
PIDS="$STACK_RUN/pids"
PID_FILE="$PIDS/$NAME.pid"
LOG="$STACK_RUN/logs/$NAME.log"

die() { echo "balancer.sh: error: $*" >&2; exit 1; }

haproxy_bin() { sbin_path haproxy; }

cmd_install() { apt_ensure haproxy || die "haproxy is missing and could not be installed"; }

# The instances that take requests now: i of each .run/pids/<name>-<i>.pid, in order.
serving() {
  local f i
  for f in "$PIDS/$1"-[1-9]"$SUFFIX".pid; do
    [[ -f "$f" ]] || continue
    i="${f#"$PIDS/$1"-}"
    echo "${i%"$SUFFIX".pid}"
  done
}

render() {
  cat <<CFG
# Rendered by infra/balancer.sh from infra/services.sh's table and the instances' pid files; do not edit.
global
    log stdout format raw local0 notice
    # Relative to the folder haproxy runs in ($RUN_DIR): a socket's path may hold 97 bytes, a checkout's folder may not.
    stats socket unix@admin.sock mode 600 level admin expose-fd listeners
    # A reload's old worker finishes the requests it holds (answers get 60 s), then goes.
    hard-stop-after 70s

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 65s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 4s
    timeout check 2s
    # A connection refused or not accepted within 2 s is tried again (on another instance: redispatch); a request
    # that reached an instance is never sent again (retry-on's default is connect-failure only).
    retries 2
    option redispatch 1
    # Connections to the instances are kept alive and reused (a new connection per request cost intake half its
    # rate through the balancer). An instance keeps an idle connection 75 s (KEEP_ALIVE_SECONDS), longer than HAProxy
    # keeps one idle in its pool, so HAProxy closes it first; a drained instance holds none, since the reload that
    # takes it out returns only once the old workers and their connections are gone (infra/services.sh).
    option http-keep-alive
    http-reuse safe
    # A reload's old worker closes an idle kept-alive client connection (nginx keeps some) only after answering one
    # more request on it (Connection: close), never under a request the client is sending.
    option idle-close-on-response
    errorfile 503 $INFRA/balancer/503.http
    errorfile 504 $INFRA/balancer/504.http
CFG
  local name port i
  for name in "${STACK_NAMES[@]}"; do
    port="$(service_port "$name")"
    cat <<CFG

frontend $name
    bind 127.0.0.1:$port
    default_backend $name

backend $name
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 2
CFG
    for i in $(serving "$name"); do
      echo "    server $name-$i 127.0.0.1:$(instance_port "$name" "$i")"
    done
  done
}

prepare() {
  mkdir -p "$RUN_DIR" "$PIDS" "$(dirname "$LOG")"
  render >"$CONF.tmp"
  local out
  out="$("$(haproxy_bin)" -c -q -f "$CONF.tmp" 2>&1)" || die "haproxy refused the configuration $CONF.tmp: $out"
  mv "$CONF.tmp" "$CONF"
}

live_pid() { daemon_pid "$PID_FILE" "$CONF"; }

workers() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

listens() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

cmd_start() {
  if live_pid >/dev/null; then cmd_reload; return; fi
  local name port
  for name in "${STACK_NAMES[@]}"; do
    port="$(service_port "$name")"
    if listens "$port"; then
      die "port $port ($name) is already in use (an older stack's service? make down; see: ss -ltnp 'sport = :$port')"
    fi
  done
  cmd_install
  prepare
  # -W: master-worker (the master stays, reloads on SIGUSR2); its output (the log) goes to .run/logs/.
  (cd "$RUN_DIR" && exec setsid "$(haproxy_bin)" -W -f "$CONF" -p "$PID_FILE") >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    if live_pid >/dev/null && listens "$(service_port "${STACK_NAMES[0]}")"; then return 0; fi
    sleep 0.1
  done
  die "haproxy did not start; last lines of $LOG: $(tail -n 5 "$LOG" 2>/dev/null)"
}

cmd_reload() {
  local pid old
  pid="$(live_pid)" || die "not running (infra/balancer.sh start)"
  prepare
  old="$(workers "$pid")"
  kill -USR2 "$pid"
  # Returns once a new worker serves and the old ones have finished their requests (hard-stop-after at most).
  for _ in $(seq 1 750); do
    local now w still=0
    now="$(workers "$pid")"
    for w in $old; do if grep -qx "$w" <<<"$now"; then still=1; fi; done
    if ((still == 0)) && [[ -n "$now" ]]; then return 0; fi
    sleep 0.1
  done
  die "the old haproxy workers of $pid did not finish within 75 s"
}

cmd_stop() { daemon_stop "$PID_FILE" "$CONF" USR1 "haproxy"; }

cmd_status() {
  local state=stopped code=1 pid first last
  if pid="$(live_pid)"; then state="running (pid $pid)" code=0; fi
  first="$(service_port "${STACK_NAMES[0]}")"
  last="$(service_port "${STACK_NAMES[${#STACK_NAMES[@]}-1]}")"
  printf '  %-19s 127.0.0.1:%s-%s  %s\n' "$NAME" "$first" "$last" "$state"
  return "$code"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  reload) cmd_reload ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  render) render ;;
  *) echo "usage: $0 install|start|reload|stop|status|render" >&2; exit 2 ;;
esac
