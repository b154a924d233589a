#!/bin/sh
# The proxy in docker-compose.yml: the same template as the local proxy (infra/proxy.sh), rendered here with the
# compose service names as upstreams, then nginx in the foreground. Mounted read-only at /infra/proxy; the
# workbench's build, when there is one, at /srv/workbench.
set -eu
. /infra/proxy/render.sh

if [ -f /srv/workbench/index.html ]; then PROXY_STATIC_ROOT=/srv/workbench; else PROXY_STATIC_ROOT=/infra/proxy/placeholder; fi
PROXY_LISTEN="${PROXY_PORT:-8000}"
PROXY_PID_FILE=/tmp/proxy/nginx.pid
PROXY_ERROR_LOG=/dev/stderr
PROXY_ACCESS_LOG=/dev/stdout
PROXY_TEMP_DIR=/tmp/proxy
PROXY_IDP_ORIGIN="${PROXY_IDP_ORIGIN:-http://127.0.0.1:8180}"
PROXY_INTAKE=intake:8001
PROXY_CASES=cases:8002
PROXY_ENFORCEMENT=enforcement:8003
PROXY_ACCOUNTABILITY=accountability:8004
PROXY_PROJECTIONS=projections:8005

mkdir -p "$PROXY_TEMP_DIR"
render_proxy_config /infra/proxy/nginx.conf.template >/tmp/proxy/nginx.conf
exec nginx -c /tmp/proxy/nginx.conf -g 'daemon off;'
