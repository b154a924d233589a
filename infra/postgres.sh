#!/usr/bin/env bash
# Local PostgreSQL for development and tests (Debian packages, no Docker).
#
#   infra/postgres.sh install          apt-get install postgresql if no initdb is found
#   infra/postgres.sh start            initdb once, start, wait, create the service databases
#   infra/postgres.sh stop             pg_ctl stop -m fast
#   infra/postgres.sh status           exit 0 if running
#   infra/postgres.sh createdb NAME... create databases if missing
#   infra/postgres.sh url [DBNAME]     print postgresql://postgres@127.0.0.1:<port>/DBNAME
#   infra/postgres.sh psql [DB] [ARGS] psql as postgres (default db: postgres)
#
# Environment:
#   DATABASE_URL   if set, an external server is used: start only checks that it
#                  answers, createdb runs against it, url prints it with DBNAME swapped in
#   PGPORT (55432) TCP port on 127.0.0.1.  A non-default port gets its own
#                  cluster (.run/pg-<port>/), so a second server can run alongside.
#   PG_BIN         PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)
#   PG_VERBOSE=1   show progress messages
#   PG_STAT_STATEMENTS=1  load pg_stat_statements (to count statements per report; bench/README.md)
#
# Layout: data in .run/pg/data, unix socket in .run/pg/sock, log in
# .run/logs/postgres.log, pid copy in .run/pids/postgres.pid.  When run as root the
# server runs as the `postgres` OS user; if that user cannot reach .run/pg (e.g.
# the repo lives under /root) or the socket path would be too long, the cluster
# lives in /tmp/pg-<hash of repo path>/ instead and .run/pg is a symlink to it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=infra/apt.sh
source "$ROOT/infra/apt.sh"

PGPORT="${PGPORT:-55432}"
PG_VERBOSE="${PG_VERBOSE:-0}"
DATABASES=(intake cases enforcement accountability projections)

if [[ "$PGPORT" == 55432 ]]; then NAME=pg; else NAME="pg-$PGPORT"; fi
LOG_DIR="$ROOT/.run/logs"
PID_DIR="$ROOT/.run/pids"
PID_COPY="$PID_DIR/postgres${NAME#pg}.pid"

die()  { echo "postgres.sh: error: $*" >&2; exit 1; }
info() { if [[ "$PG_VERBOSE" == 1 ]]; then echo "postgres.sh: $*" >&2; fi; }
say()  { echo "postgres.sh: $*" >&2; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- binaries
find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/initdb" ]] || die "PG_BIN=$PG_BIN has no initdb"
    echo "$PG_BIN"; return 0
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  echo "$d"
}

cmd_install() {
  if find_bin >/dev/null; then info "found $(find_bin)"; return 0; fi
  apt_install postgresql || die "PostgreSQL is missing and could not be installed"
  find_bin >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
  # The Debian package may create and start its own cluster (port 5432); we do not use it.
}

# --------------------------------------------------------------- run as
# As root, the server must run as the unprivileged `postgres` user.
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || NEED_PG_USER=1
  as_pg() { runuser -u postgres -- "$@"; }
  RUN_AS_PG=1
else
  as_pg() { "$@"; }
  RUN_AS_PG=0
fi

# ---------------------------------------------------------------- layout
# Decide where the cluster lives (see header).  Deterministic for a given repo path.
choose_base() {
  local base="$ROOT/.run/$NAME"
  if [[ -L "$base" ]]; then readlink -f "$base"; return 0; fi
  if [[ -d "$base/data" ]]; then echo "$base"; return 0; fi   # existing cluster stays put
  # unix socket path limit is 107 bytes: <base>/sock/.s.PGSQL.<port>.lock
  local sock_len=$(( ${#base} + 20 + ${#PGPORT} ))
  local ok=1
  [[ $sock_len -le 107 ]] || ok=0
  if [[ $ok == 1 && $RUN_AS_PG == 1 ]]; then
    mkdir -p "$base"
    chown postgres:postgres "$base"
    as_pg test -w "$base" 2>/dev/null || ok=0
  fi
  if [[ $ok == 1 ]]; then echo "$base"; return 0; fi
  rmdir "$base" 2>/dev/null || true
  echo "/tmp/$NAME-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
}

setup_layout() {
  [[ "${NEED_PG_USER:-0}" == 0 ]] || die "running as root but there is no 'postgres' OS user (install the Debian postgresql package: infra/postgres.sh install)"
  mkdir -p "$ROOT/.run" "$LOG_DIR" "$PID_DIR"
  BASE="$(choose_base)"
  mkdir -p "$BASE/sock"
  if [[ "$BASE" != "$ROOT/.run/$NAME" && ! -e "$ROOT/.run/$NAME" ]]; then
    ln -s "$BASE" "$ROOT/.run/$NAME"
    say "note: postgres user cannot use $ROOT/.run (or path too long); cluster is in $BASE (symlinked from .run/$NAME)"
  fi
  DATA="$BASE/data"
  SOCK="$BASE/sock"
  # log: .run/logs/postgres.log if the server user can write it, else next to the data
  LOG_FILE="$LOG_DIR/postgres${NAME#pg}.log"
  if [[ $RUN_AS_PG == 1 ]]; then
    chown postgres:postgres "$BASE" "$SOCK"
    chmod 700 "$SOCK"
    touch "$LOG_FILE" 2>/dev/null || true
    chown postgres:postgres "$LOG_FILE" 2>/dev/null || true
    if ! as_pg test -w "$LOG_FILE" 2>/dev/null; then
      rm -f "$LOG_FILE"
      touch "$BASE/postgres.log"; chown postgres:postgres "$BASE/postgres.log"
      ln -sf "$BASE/postgres.log" "$LOG_FILE"
      LOG_FILE="$BASE/postgres.log"
    fi
  fi
}

# ---------------------------------------------------------------- server
pg_running() { [[ -f "$DATA/postmaster.pid" ]] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

pg_ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -t 2; }

write_conf() {
  local tmp="$DATA/local.conf.tmp"
  as_pg tee "$tmp" >/dev/null <<EOF
# generated by infra/postgres.sh -- overwritten on every start
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$SOCK'
max_connections = 200
shared_buffers = 128MB
# durability matters (event store): keep the safe defaults explicit
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
# Checkpoints by time, not by WAL volume: at load a report writes ~14 kB of WAL, so 1 GB (the default) forced a
# checkpoint every few minutes (checkpoints_req 226 to 2 timed on a day's stack), each a burst of writes and fsyncs the
# commits then wait behind, and full-page images again. PostgreSQL's advice when requested checkpoints dominate.
max_wal_size = 4GB
checkpoint_timeout = 15min
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_min_error_statement = error
log_connections = off
log_disconnections = off
EOF
  # PG_STAT_STATEMENTS=1: statements per report can be counted (bench/README.md, "CPU per report, PostgreSQL's share")
  if [[ "${PG_STAT_STATEMENTS:-0}" == 1 ]]; then
    echo "shared_preload_libraries = 'pg_stat_statements'" | as_pg tee -a "$tmp" >/dev/null
  fi
  as_pg mv "$tmp" "$DATA/local.conf"
}

init_cluster() {
  [[ -f "$DATA/PG_VERSION" ]] && return 0
  local locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  info "initdb $DATA (locale $locale)"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  if [[ $RUN_AS_PG == 1 ]]; then chown postgres:postgres "$DATA"; fi
  chmod 700 "$DATA"
  local out
  if ! out="$(cd / && as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres --encoding=UTF8 --locale="$locale" 2>&1)"; then
    echo "$out" >&2
    die "initdb failed for $DATA"
  fi
  echo "include_if_exists = 'local.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

check_version() {
  local have want
  have="$(cat "$DATA/PG_VERSION")"
  want="$("$BIN/postgres" --version | sed -n 's/.* \([0-9][0-9]*\)\..*/\1/p')"
  [[ "$have" == "$want" ]] || die "cluster in $DATA is PostgreSQL $have but binaries in $BIN are $want (set PG_BIN=/usr/lib/postgresql/$have/bin or remove $DATA)"
}

cmd_start() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    BIN="$(find_bin || true)"
    local isready="pg_isready"
    [[ -n "$BIN" ]] && isready="$BIN/pg_isready"
    command -v "$isready" >/dev/null 2>&1 || die "pg_isready not found (infra/postgres.sh install, or apt-get install postgresql-client)"
    "$isready" -q -d "$DATABASE_URL" -t 10 || die "DATABASE_URL is set but the server does not answer: $(redact "$DATABASE_URL")"
    info "using external server $(redact "$DATABASE_URL")"
    return 0
  fi
  local t0; t0=$(now_ms)
  # One start at a time per server: parallel test workers each start it and find it up. The server is spawned
  # with fd 9 closed, so the lock is released with this script, never held by PostgreSQL.
  mkdir -p "$PID_DIR"
  exec 9>"$PID_DIR/$NAME.start.lock"
  flock 9
  cmd_install
  BIN="$(find_bin)"
  setup_layout
  if pg_running && pg_ready; then
    ensure_dbs "${DATABASES[@]}"
    info "already running on 127.0.0.1:$PGPORT"
    return 0
  fi
  if ! pg_running; then
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 1; then
      die "port $PGPORT is already served by another PostgreSQL (not $DATA); stop it or set PGPORT"
    fi
    init_cluster
    check_version
    write_conf
    local out
    if ! out="$(cd / && as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOG_FILE" -w -t 60 -s 2>&1 9>&-)"; then
      echo "$out" >&2
      tail -n 30 "$LOG_FILE" >&2 || true
      die "PostgreSQL failed to start (log: $LOG_FILE)"
    fi
  fi
  local i=0
  until pg_ready; do
    i=$((i + 1))
    [[ $i -lt 60 ]] || { tail -n 30 "$LOG_FILE" >&2 || true; die "PostgreSQL not ready on 127.0.0.1:$PGPORT after 60s (log: $LOG_FILE)"; }
    sleep 1
  done
  head -n 1 "$DATA/postmaster.pid" >"$PID_COPY"
  ensure_dbs "${DATABASES[@]}"
  say "started on 127.0.0.1:$PGPORT (pid $(cat "$PID_COPY"), data ${DATA#"$ROOT"/}) in $(( ($(now_ms) - t0) / 1000 )).$(( ($(now_ms) - t0) % 1000 / 100 ))s"
}

cmd_stop() {
  if [[ -n "${DATABASE_URL:-}" ]]; then info "DATABASE_URL is set: external server, nothing to stop"; return 0; fi
  BIN="$(find_bin)" || { info "PostgreSQL not installed"; return 0; }
  setup_layout
  if ! pg_running; then rm -f "$PID_COPY"; info "not running"; return 0; fi
  local out
  if ! out="$(cd / && as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 -s 2>&1)"; then
    echo "$out" >&2
    die "pg_ctl stop failed (log: $LOG_FILE)"
  fi
  rm -f "$PID_COPY"
  say "stopped"
}

cmd_status() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    BIN="$(find_bin || true)"
    if "${BIN:+$BIN/}pg_isready" -q -d "$DATABASE_URL" -t 5; then echo "postgres: external server up"; return 0; fi
    echo "postgres: external server down"; return 1
  fi
  BIN="$(find_bin)" || { echo "postgres: not installed"; return 1; }
  setup_layout >/dev/null 2>&1
  if pg_running && pg_ready; then
    echo "postgres: running on 127.0.0.1:$PGPORT (pid $(head -n 1 "$DATA/postmaster.pid"))"
    return 0
  fi
  echo "postgres: stopped"
  return 1
}

# ------------------------------------------------------------- databases
redact() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

# url_for DBNAME -> connection URL (DATABASE_URL with the db name swapped, or local)
url_for() {
  local db="$1"
  if [[ -n "${DATABASE_URL:-}" ]]; then
    [[ -n "$db" ]] || { echo "$DATABASE_URL"; return 0; }
    local re='^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$'
    [[ "$DATABASE_URL" =~ $re ]] || die "cannot parse DATABASE_URL"
    echo "${BASH_REMATCH[1]}/$db${BASH_REMATCH[4]}"
  else
    echo "postgresql://postgres@127.0.0.1:$PGPORT/$db"
  fi
}

psql_admin() {  # psql_admin ARGS... against the maintenance db
  local psql=psql
  [[ -n "${BIN:-}" ]] && psql="$BIN/psql"
  PGCONNECT_TIMEOUT=10 "$psql" -X -q -v ON_ERROR_STOP=1 -d "$(url_for postgres)" "$@"
}

ensure_dbs() {
  [[ $# -gt 0 ]] || return 0
  local db list="" missing
  for db in "$@"; do
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "invalid database name: '$db' (letters, digits, _)"
    list+="${list:+,}'$db'"
  done
  missing="$(psql_admin -tAc "SELECT n FROM unnest(ARRAY[$list]) AS n WHERE n NOT IN (SELECT datname FROM pg_database)")" \
    || die "cannot query databases on $(redact "$(url_for postgres)")"
  for db in $missing; do
    local err
    if ! err="$(psql_admin -c "CREATE DATABASE \"$db\" OWNER postgres" 2>&1)"; then
      # a concurrent createdb may have won the race
      grep -q 'already exists' <<<"$err" || { echo "$err" >&2; die "could not create database $db"; }
    fi
    info "created database $db"
  done
}

cmd_createdb() {
  [[ $# -gt 0 ]] || die "usage: infra/postgres.sh createdb NAME..."
  BIN="$(find_bin || true)"
  if [[ -z "${DATABASE_URL:-}" ]]; then
    [[ -n "$BIN" ]] || die "PostgreSQL not installed (infra/postgres.sh install)"
    pg_ready || die "PostgreSQL is not running on 127.0.0.1:$PGPORT (infra/postgres.sh start)"
  fi
  ensure_dbs "$@"
}

cmd_psql() {
  BIN="$(find_bin || true)"
  local psql=psql
  [[ -n "$BIN" ]] && psql="$BIN/psql"
  local db=postgres
  if [[ $# -gt 0 && "$1" != -* ]]; then db="$1"; shift; fi
  exec "$psql" -X -d "$(url_for "$db")" "$@"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install)  cmd_install ;;
    start)    cmd_start ;;
    stop)     cmd_stop ;;
    restart)  cmd_stop; cmd_start ;;
    status)   cmd_status ;;
    createdb) cmd_createdb "$@" ;;
    url)      url_for "${1:-postgres}" ;;
    psql)     cmd_psql "$@" ;;
    -h|--help|help) usage ;;
    "")       usage >&2; exit 2 ;;
    *)        usage >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
