# shellcheck shell=bash
# The local stack's ports, all from the one SERVICES table in infra/services.sh (sourced by services.sh,
# balancer.sh and proxy.sh; no second list of ports).
#
#   SERVICES_PORT_BASE (8000)   a service's own port is the base + its number in the table (intake:8001 → base + 1),
#                               where the balancer (infra/balancer.sh) listens; instance i (1-9) of the service
#                               listens on base + 10 × number + i (intake's first 8011, cases' second 8022).
#                               Another base moves the whole stack (e.g. 22100: intake 22101, its instances 22111-9).
#   MAX_INSTANCES (9)           per service, so that the instances' ports of two services never meet.

STACK_INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICES_PORT_BASE="${SERVICES_PORT_BASE:-8000}"
MAX_INSTANCES=9

# Loads the table: SERVICES=(name:port …) as infra/services.sh writes it, and STACK_NAMES=(name …) in its order.
load_services_table() {
  local line entry
  line="$(grep -m 1 '^SERVICES=(' "$STACK_INFRA/services.sh")" || { echo "infra/services.sh has no SERVICES table" >&2; return 1; }
  eval "$line"
  STACK_NAMES=()
  for entry in "${SERVICES[@]}"; do STACK_NAMES+=("${entry%%:*}"); done
}

# The service's number in the table (1 for intake:8001).
service_number() {
  local entry
  for entry in "${SERVICES[@]}"; do
    if [[ "${entry%%:*}" == "$1" ]]; then echo $((${entry##*:} - 8000)); return 0; fi
  done
  echo "no service '$1' in infra/services.sh (one of: ${STACK_NAMES[*]})" >&2
  return 1
}

service_port() { local n; n="$(service_number "$1")" && echo $((SERVICES_PORT_BASE + n)); }

instance_port() { local n; n="$(service_number "$1")" && echo $((SERVICES_PORT_BASE + 10 * n + $2)); }

# The URL of the stack's own PostgreSQL (infra/postgres.sh, PGPORT) over its Unix socket in the state folder $1 (.run),
# printed when the socket is there and reachable by this user; else nothing, and a status of 1 (TCP on 127.0.0.1 then).
# A round trip over the socket costs both sides fewer system calls than over TCP, and a closed loop makes about a
# hundred (bench/README.md, fifteenth session). A path that would need escaping in a URL keeps TCP.
local_database_url() {
  local port="${PGPORT:-55432}" name=pg dir
  [[ "$port" == 55432 ]] || name="pg-$port"
  dir="$1/$name/sock"
  [[ -S "$dir/.s.PGSQL.$port" && -x "$dir" ]] || return 1
  dir="$(cd "$dir" && pwd -P)" || return 1
  [[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] || return 1
  echo "postgresql://postgres@/postgres?host=$dir&port=$port"
}
