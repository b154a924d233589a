#!/usr/bin/env bash
# Start, stop and check the five service processes of the local stack.
#   infra/services.sh start|stop|status|wait
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
RUN="$ROOT/.run"
SERVICES=(intake:8001 cases:8002 enforcement:8003 accountability:8004 projections:8005)
mkdir -p "$RUN/logs" "$RUN/pids"

alive() { [[ -f "$RUN/pids/$1.pid" ]] && kill -0 "$(cat "$RUN/pids/$1.pid")" 2>/dev/null; }

ready() { curl -fsS -m 3 "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

start() {
  # This install's keys, generated the first time into .run/secrets.env (mode 600) and kept: shared/stack_keys.py
  "$PY" -m shared.stack_keys --state-dir "$RUN" ensure
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    if alive "$name"; then continue; fi
    # intake's public rate limit keys on the address the proxy (infra/proxy.sh, on this machine) puts in
    # X-Forwarded-For, believed only from the addresses in TRUSTED_PROXIES
    local env=(PORT="$port")
    if [[ "$name" == intake ]]; then env+=(TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1}"); fi
    # exec keeps the pid (stack_keys exec too, with CONTACT_KEYS and METRICS_TOKEN from .run/secrets.env unless the
    # environment sets them, signed in to the broker as the service's own user); setsid detaches it from this
    # shell's session and terminal
    (cd "$ROOT" && exec env "${env[@]}" setsid "$PY" -m shared.stack_keys --state-dir "$RUN" exec --as "$name" \
      "$PY" -m "services.$name") \
      >>"$RUN/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/pids/$name.pid"
  done
}

wait_ready() {
  local deadline=$((SECONDS + ${1:-120}))
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    until ready "$port"; do
      if ! alive "$name"; then
        echo "service $name exited; last lines of .run/logs/$name.log:" >&2
        tail -n 30 "$RUN/logs/$name.log" >&2
        exit 1
      fi
      if ((SECONDS > deadline)); then
        echo "service $name not ready on port $port in time; see .run/logs/$name.log" >&2
        exit 1
      fi
      sleep 0.3
    done
  done
}

stop() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    [[ -f "$RUN/pids/$name.pid" ]] || continue
    local pid; pid=$(cat "$RUN/pids/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/pids/$name.pid"
  done
}

status() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    if ready "$port"; then s=ready; elif alive "$name"; then s=starting; else s=stopped; fi
    printf '  %-15s http://127.0.0.1:%s  %s\n' "$name" "$port" "$s"
  done
}

case "${1:-}" in
  start) start ;;
  wait) wait_ready "${2:-120}" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|wait|stop|status" >&2; exit 2 ;;
esac
