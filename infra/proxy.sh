#!/usr/bin/env bash
# The one address (统一入口): Debian's nginx as the project's own process in front of the workbench, the
# dashboard and the five services, on 127.0.0.1:PROXY_PORT. Never the system's nginx service: the configuration
# is rendered from infra/proxy/nginx.conf.template (infra/proxy/render.sh, shared with the compose container)
# into .run/, with its pid and logs under .run/ too.
#
#   infra/proxy.sh install   apt-get install nginx if no nginx is found
#   infra/proxy.sh start     install if needed, render, check (nginx -t), start, wait until /healthz answers
#   infra/proxy.sh stop      graceful stop (SIGQUIT: open requests finish), SIGKILL after 15 s
#   infra/proxy.sh reload    render again (e.g. the workbench got built), check, SIGHUP: no request is dropped
#   infra/proxy.sh status    one line as `make status` prints it; exit 0 if it answers
#   infra/proxy.sh render    print the configuration it would run
#   infra/proxy.sh url       print its address
#
# Environment:
#   PROXY_PORT (8000)        port on 127.0.0.1. A non-default port gets its own state (.run/proxy-<port>/,
#                            proxy-<port>.pid and .log), so a second proxy can run next to the default one.
#   PROXY_INTAKE, PROXY_CASES, PROXY_ENFORCEMENT, PROXY_ACCOUNTABILITY, PROXY_PROJECTIONS
#                            host:port of each service (default: 127.0.0.1 and its own port, infra/ports.sh,
#                            where the balancer spreads requests over its instances)
#   PROXY_IDP_ORIGIN (http://127.0.0.1:8180)   the identity provider the workbench may talk to (CSP)
#   PROXY_STATIC_ROOT        the folder served at / (default: workbench/dist once it holds an index.html, else the
#                            placeholder page infra/proxy/placeholder/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra"
TEMPLATE="$INFRA/proxy/nginx.conf.template"
# shellcheck source=infra/proxy/render.sh
source "$INFRA/proxy/render.sh"
# shellcheck source=infra/apt.sh
source "$INFRA/apt.sh"
# shellcheck source=infra/ports.sh
source "$INFRA/ports.sh"
# shellcheck source=infra/daemon.sh
source "$INFRA/daemon.sh"

PROXY_PORT="${PROXY_PORT:-8000}"
if [[ "$PROXY_PORT" == 8000 ]]; then NAME=proxy; else NAME="proxy-$PROXY_PORT"; fi
RUN_DIR="$ROOT/.run/$NAME"
CONF="$RUN_DIR/nginx.conf"
LOG_DIR="$ROOT/.run/logs"
PID_DIR="$ROOT/.run/pids"
ADDRESS="http://127.0.0.1:$PROXY_PORT/"

die() { echo "proxy.sh: error: $*" >&2; exit 1; }
say() { echo "proxy.sh: $*" >&2; }

nginx_bin() { sbin_path nginx; }

cmd_install() { apt_ensure nginx || die "nginx is missing and could not be installed"; }

# Each service's own port (the balancer's, infra/balancer.sh), from the one table that defines them (infra/ports.sh).
upstream_defaults() {
  local name var
  load_services_table || die "infra/services.sh has no SERVICES table"
  for name in "${STACK_NAMES[@]}"; do
    var="PROXY_${name^^}"
    if [[ -z "${!var:-}" ]]; then printf -v "$var" '%s' "127.0.0.1:$(service_port "$name")"; fi
    export "${var?}"
  done
}

static_root() {
  if [[ -n "${PROXY_STATIC_ROOT:-}" ]]; then echo "$PROXY_STATIC_ROOT"
  elif [[ -f "$ROOT/workbench/dist/index.html" ]]; then echo "$ROOT/workbench/dist"
  else echo "$INFRA/proxy/placeholder"; fi
}

render() {
  upstream_defaults
  PROXY_LISTEN="127.0.0.1:$PROXY_PORT"
  PROXY_PID_FILE="$PID_DIR/$NAME.pid"
  PROXY_ERROR_LOG="$LOG_DIR/$NAME.log"
  PROXY_ACCESS_LOG="$LOG_DIR/$NAME-access.log"
  PROXY_TEMP_DIR="$RUN_DIR/tmp"
  PROXY_STATIC_ROOT="$(static_root)"
  PROXY_IDP_ORIGIN="${PROXY_IDP_ORIGIN:-http://127.0.0.1:8180}"
  render_proxy_config "$TEMPLATE"
}

# Renders into .run/ and lets nginx check it; the workers (nobody, when started as root) must read the pages.
prepare() {
  mkdir -p "$RUN_DIR/tmp" "$LOG_DIR" "$PID_DIR"
  render >"$CONF.tmp" || die "could not render $TEMPLATE"
  mv "$CONF.tmp" "$CONF"
  local root out
  root="$(sed -n 's/^ *root \(.*\);$/\1/p' "$CONF")"
  if [[ "$(id -u)" == 0 ]] && ! runuser -u nobody -- test -r "$root/index.html"; then
    die "nginx's workers run as 'nobody' and cannot read $root/index.html; give the folders on the way read access"
  fi
  out="$("$(nginx_bin)" -t -q -p "$RUN_DIR" -c "$CONF" -e "$LOG_DIR/$NAME.log" 2>&1)" \
    || die "nginx refused the configuration $CONF: $out"
}

live_pid() { daemon_pid "$PID_DIR/$NAME.pid" "$CONF"; }

answers() { curl -fsS -m 2 "${ADDRESS}healthz" >/dev/null 2>&1; }

cmd_start() {
  local pid
  if pid="$(live_pid)"; then
    answers && return 0
    die "nginx (pid $pid) runs but $ADDRESS/healthz does not answer; see .run/logs/$NAME.log"
  fi
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROXY_PORT" 2>/dev/null; then
    die "port $PROXY_PORT is already in use by another process (set PROXY_PORT; see: ss -ltnp 'sport = :$PROXY_PORT')"
  fi
  cmd_install
  prepare
  # nginx detaches itself (own session) and its master writes the pid file named in the configuration.
  "$(nginx_bin)" -p "$RUN_DIR" -c "$CONF" -e "$LOG_DIR/$NAME.log" </dev/null \
    || die "nginx did not start; last lines of .run/logs/$NAME.log: $(tail -n 5 "$LOG_DIR/$NAME.log" 2>/dev/null)"
  for _ in $(seq 1 50); do
    if answers; then return 0; fi
    sleep 0.1
  done
  die "nginx started but ${ADDRESS}healthz does not answer; see .run/logs/$NAME.log"
}

cmd_stop() { daemon_stop "$PID_DIR/$NAME.pid" "$CONF" QUIT "nginx"; }

cmd_reload() {
  local pid
  pid="$(live_pid)" || die "not running (infra/proxy.sh start)"
  prepare
  kill -HUP "$pid"
}

cmd_status() {
  local state=stopped code=1
  if live_pid >/dev/null; then
    if answers; then state=ready code=0; else state=starting; fi
  fi
  printf '  %-15s %s  %s\n' "$NAME" "${ADDRESS%/}" "$state"
  return "$code"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  reload) cmd_reload ;;
  status) cmd_status ;;
  render) render ;;
  url) echo "$ADDRESS" ;;
  *) echo "usage: $0 install|start|stop|reload|status|render|url" >&2; exit 2 ;;
esac
