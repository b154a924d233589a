# shellcheck shell=bash
# What proxy.sh (nginx) and balancer.sh (HAProxy) do alike with the daemon they run from a configuration in .run/.
#
#   daemon_pid PID_FILE CONF         the pid in PID_FILE, if that process is alive and runs CONF
#   daemon_stop PID_FILE CONF SIGNAL WHAT   SIGNAL (its graceful stop), then SIGKILL after 15 s; removes PID_FILE

daemon_pid() {
  local pid
  pid="$(tr -dc '0-9' 2>/dev/null <"$1" || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2" || return 1
  echo "$pid"
}

daemon_stop() {
  local pid
  pid="$(daemon_pid "$1" "$2")" || { rm -f "$1"; return 0; }
  kill "-$3" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$4 (pid $pid) did not finish its requests within 15 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
