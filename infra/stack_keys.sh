# shellcheck shell=bash
# This install's keys for the project's scripts (kafka.sh, keycloak.sh): .run/secrets.env, made by shared/stack_keys.py.
#
#   ensure_stack_keys   generate the keys this install does not have yet (never replaces one)
#   secret NAME         print NAME's value from the file; the caller's `die` when it is missing

STACK_KEYS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.run/secrets.env"

ensure_stack_keys() {
  local root py
  root="$(dirname "$(dirname "$STACK_KEYS_FILE")")"
  # stdlib only: any python3 will do, before the virtualenv exists
  py="$root/.venv/bin/python"
  [[ -x "$py" ]] || py=python3
  (cd "$root" && "$py" -m shared.stack_keys ensure 2>/dev/null) || die "could not generate this install's keys"
}

secret() {
  local value
  value="$(sed -n "s/^$1=//p" "$STACK_KEYS_FILE" 2>/dev/null | tail -n 1)"
  [[ -n "$value" ]] || die "$1 missing from $STACK_KEYS_FILE"
  printf '%s' "$value"
}
