#!/usr/bin/env bash
# Schemathesis against every service's OpenAPI on the running stack (`make up` first), with a token of each role
# that writes there: no 5xx and no response that breaks its schema. FUZZ_SECONDS per run (default 30).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
OUT="$ROOT/.run/fuzz"
SECONDS_PER_RUN="${FUZZ_SECONDS:-30}"
mkdir -p "$OUT"

RUNS=(
  "8001 operator" "8001 inspection_office" "8001 leader"
  "8002 inspection_office" "8002 unit"
  "8003 enforcement"
  "8004 discipline"
  "8005 leader"
)

failed=0
for run in "${RUNS[@]}"; do
  read -r port role <<<"$run"
  token=$("$PY" -m shared.auth --role "$role" --unit 城关镇人民政府 --subject fuzz)
  log="$OUT/$port-$role.log"
  "$ROOT/.venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-time "$SECONDS_PER_RUN" --workers 1 >"$log" 2>&1 || true
  # A finding of the API is a failure; a crash of the tool itself is reported but says nothing about the API.
  if grep -q "❌ ST[0-9]" "$log"; then
    result="FAILED: $(grep -Eo '❌ ST[0-9]+ [^:]+: [0-9]+' "$log" | paste -sd, -) (see $log)"
    failed=1
  elif grep -q "Runtime Error" "$log"; then
    result="clean, but schemathesis itself crashed on an operation (see $log)"
  else
    result="clean"
  fi
  printf '  %-5s %-18s %s  %s\n' "$port" "$role" "$(grep -Eo '[0-9]+ generated' "$log" | tail -1)" "$result"
done
exit "$failed"
