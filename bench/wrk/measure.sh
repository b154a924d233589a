#!/usr/bin/env bash
# One wrk run of bench/wrk/report.lua against a report endpoint, with the serving process's CPU per request (/proc).
#   TOKEN=<operator token> bench/wrk/measure.sh URL PID [SECONDS] [CONNECTIONS]
#   e.g. bench/wrk/measure.sh http://127.0.0.1:8901/v1/reports "$(cat .run/pids/intake-1.pid)" 15 16
# Prints reports/s, p50/p99 and the process's user+system CPU (clock ticks of 10 ms) divided by the requests.
set -euo pipefail
URL=$1 PID=$2 SECONDS_=${3:-15} CONNECTIONS=${4:-16}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
before=$(cpu)
out=$(BATCH="wrk-$(date +%s)-$RANDOM" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" -s "$HERE/report.lua" "$URL")
after=$(cpu)
requests=$(echo "$out" | awk '/requests in/ {print $1}')
echo "$out" | grep -E '^[0-9]{3} ' | head -3 || true
echo "$(echo "$out" | grep -E '^rps') $(echo "$out" | grep -E '^p(50|99)' | tr '\n' ' ')cpu/request $(
  awk -v a="$after" -v b="$before" -v n="$requests" 'BEGIN {printf "%.2f ms", (a - b) * 10 / n}')"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
