#!/usr/bin/env bash
# A production-like Temporal server on this machine, without Docker: the real
# server binary (go.temporal.io/server, built from source through the Go module
# proxy) with PostgreSQL persistence and SQL visibility on the local
# PostgreSQL, next to (not instead of) the dev server of `make up`.
#
#   scripts/temporal-server.sh [start]   build if needed, set up the schemas, start
#                                        in the background, register cardflow's
#                                        search attributes, print the address
#   scripts/temporal-server.sh stop      stop it
#   scripts/temporal-server.sh test [go test flags...]
#                                        start on fresh Temporal databases, run
#                                        the e2e suite against it, stop, and print
#                                        the wall time of each phase (a server
#                                        that is already running is used as it
#                                        is, with its data, and left running)
#
# Everything it writes lives in .run/temporal-server/ (config, log, pid) and in
# the PostgreSQL databases temporal_cardflow and temporal_cardflow_visibility
# (role temporal, password temporal). Re-running `start` is harmless and keeps
# the data; `test` drops and recreates those two databases first (when the
# server is not running), because the e2e suite, written for a fresh dev server
# per run, uses fixed workflow ids that an earlier run leaves behind for the
# namespace's 72h retention.
source "$(dirname "$0")/lib.sh"
set -euo pipefail
cd "$ROOT"

TEMPORAL_SERVER_VERSION="v1.29.1"
SERVER_MODULE="go.temporal.io/server"
SERVER_BIN="$ROOT/bin/temporal-server"
SQL_TOOL="$ROOT/bin/temporal-sql-tool"
RUN_DIR="$ROOT/.run/temporal-server"
PID_FILE="$RUN_DIR/server.pid"
LOG_FILE="$RUN_DIR/server.log"
CONFIG_ENV="cardflow" # the server reads $RUN_DIR/config/cardflow.yaml

PG_HOST="127.0.0.1"
PG_PORT="5432"
DB_USER="temporal"
DB_PASSWORD="temporal"
DB_MAIN="temporal_cardflow"
DB_VISIBILITY="temporal_cardflow_visibility"

# Every port of development-postgres12.yaml, shifted by 100 so that this server
# runs beside a dev server (7233) or a stock development config.
#   original -> ours
PORT_MAP=(
  7233:7333 # frontend gRPC (and clusterInformation rpcAddress)
  7243:7343 # frontend HTTP (and the Nexus callback template in dynamic config)
  7234:7334 # history gRPC
  7235:7335 # matching gRPC
  7239:7339 # worker gRPC
  6933:7033 # frontend membership
  6934:7034 # history membership
  6935:7035 # matching membership
  6939:7039 # worker membership
  7936:8036 # pprof
  8000:8100 # Prometheus metrics
)
FRONTEND_PORT=7333
ADDRESS="127.0.0.1:$FRONTEND_PORT"
NAMESPACE="default"
SEARCH_ATTRIBUTES=(CardRequestState CardUserId CardType) # all Keyword

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -Atq "$@"; }

now_ms() { date +%s%3N; }
fmt_ms() { printf '%d.%01ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# module_dir prints the module cache directory of the server module (its
# config/ and schema/ files are used from there, never copied into the repo).
module_dir() {
  local tmp dir
  tmp="$(mktemp -d)"
  dir="$(cd "$tmp" && GOWORK=off go mod download -json "$SERVER_MODULE@$TEMPORAL_SERVER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  rmdir "$tmp"
  if [[ -z "$dir" || ! -d "$dir/config" || ! -d "$dir/schema/postgresql/v12" ]]; then
    say "could not locate $SERVER_MODULE@$TEMPORAL_SERVER_VERSION in the Go module cache"
    return 1
  fi
  printf '%s\n' "$dir"
}

# built_version prints the go.temporal.io/server version a binary was built from.
built_version() {
  [[ -x "$1" ]] || return 0
  go version -m "$1" 2>/dev/null | awk -v m="$SERVER_MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

# ensure_server_binaries builds bin/temporal-server and bin/temporal-sql-tool
# from source once (a few minutes on a fresh machine), then reuses them.
ensure_server_binaries() {
  if [[ "$(built_version "$SERVER_BIN")" == "$TEMPORAL_SERVER_VERSION" &&
    "$(built_version "$SQL_TOOL")" == "$TEMPORAL_SERVER_VERSION" ]]; then
    say "Temporal server $TEMPORAL_SERVER_VERSION already built (bin/temporal-server, bin/temporal-sql-tool)"
    return
  fi
  say "building Temporal server and SQL tool $TEMPORAL_SERVER_VERSION into bin/ (first run only, a few minutes)"
  local gobin
  gobin="$(mktemp -d)"
  (cd "$gobin" && GOWORK=off GOBIN="$gobin" go install \
    "$SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "$SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION")
  mkdir -p "$ROOT/bin"
  mv -f "$gobin/server" "$SERVER_BIN"
  mv -f "$gobin/sql" "$SQL_TOOL"
  rm -rf "$gobin"
}

# quietly runs a command, showing its output only when it fails.
quietly() {
  local out
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

sql_tool() {
  local db="$1"
  shift
  "$SQL_TOOL" --ep "$PG_HOST" -p "$PG_PORT" -u "$DB_USER" --pw "$DB_PASSWORD" --pl postgres12 --db "$db" "$@"
}

# reset_databases drops this server's two databases (only ever these two).
reset_databases() {
  local db
  for db in "$DB_MAIN" "$DB_VISIBILITY"; do
    say "dropping database $db (fresh state for the test run)"
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  done
}

# ensure_schema creates the role and both databases when missing and brings
# both schemas to the version this server needs (no-ops when they are there).
ensure_schema() {
  local mod="$1"
  if [[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]]; then
    say "creating PostgreSQL role $DB_USER (CREATEDB)"
    psql_admin -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
  fi
  local db kind
  for db in "$DB_MAIN" "$DB_VISIBILITY"; do
    if [[ "$db" == "$DB_MAIN" ]]; then kind=temporal; else kind=visibility; fi
    if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      say "creating database $db"
      quietly sql_tool "$db" create-database
    fi
    say "schema $db: setup (version tables) and update to the latest $kind schema"
    quietly sql_tool "$db" setup-schema -v 0.0
    quietly sql_tool "$db" update-schema -d "$mod/schema/postgresql/v12/$kind/versioned"
    say "schema $db: version $(psql_admin -d "$db" -c "SELECT curr_version FROM schema_version")"
  done
}

# write_config derives $RUN_DIR/config/cardflow.yaml from the module's
# development-postgres12.yaml: our database names, our ports, our dynamic
# config (development-sql.yaml with the shifted HTTP port). It checks that no
# original port is left, so a changed upstream file fails loudly.
write_config() {
  local mod="$1" src dyn_src cfg dyn sed_ports=() pair from to
  src="$mod/config/development-postgres12.yaml"
  dyn_src="$mod/config/dynamicconfig/development-sql.yaml"
  cfg="$RUN_DIR/config/$CONFIG_ENV.yaml"
  dyn="$RUN_DIR/dynamicconfig.yaml"
  mkdir -p "$RUN_DIR/config"
  for pair in "${PORT_MAP[@]}"; do
    from="${pair%%:*}" to="${pair##*:}"
    sed_ports+=(-e "s/\\b$from\\b/$to/g")
  done
  {
    echo "# Generated by scripts/temporal-server.sh from"
    echo "# $src"
    echo "# (database names, ports, frontend address, dynamic config path). Do not edit."
    sed "${sed_ports[@]}" \
      -e "s/databaseName: \"temporal\"/databaseName: \"$DB_MAIN\"/" \
      -e "s/databaseName: \"temporal_visibility\"/databaseName: \"$DB_VISIBILITY\"/" \
      -e "s/connectAddr: \"127.0.0.1:5432\"/connectAddr: \"$PG_HOST:$PG_PORT\"/" \
      -e "s/rpcAddress: \"localhost:$FRONTEND_PORT\"/rpcAddress: \"$ADDRESS\"/" \
      -e "s#filepath: \"config/dynamicconfig/development-sql.yaml\"#filepath: \"$dyn\"#" \
      "$src"
  } >"$cfg.tmp"
  {
    echo "# Generated by scripts/temporal-server.sh from $dyn_src. Do not edit."
    sed "${sed_ports[@]}" "$dyn_src"
  } >"$dyn.tmp"
  local want
  for want in "databaseName: \"$DB_MAIN\"" "databaseName: \"$DB_VISIBILITY\"" \
    "rpcAddress: \"$ADDRESS\"" "filepath: \"$dyn\"" "grpcPort: $FRONTEND_PORT"; do
    if ! grep -qF "$want" "$cfg.tmp"; then
      say "generated config lacks '$want': $src changed? See $cfg.tmp"
      return 1
    fi
  done
  for pair in "${PORT_MAP[@]}"; do
    from="${pair%%:*}"
    if grep -hv '^[[:space:]]*#' "$cfg.tmp" "$dyn.tmp" | grep -qw "$from"; then
      say "generated config still uses port $from: see $cfg.tmp"
      return 1
    fi
  done
  mv -f "$cfg.tmp" "$cfg"
  mv -f "$dyn.tmp" "$dyn"
}

server_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == temporal-server* ]] || return 1
  printf '%s\n' "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_ports_free() {
  local pair to
  for pair in "${PORT_MAP[@]}"; do
    to="${pair##*:}"
    if port_in_use "$to"; then
      say "port $to is in use by another process; this server needs ports ${PORT_MAP[*]#*:}"
      return 1
    fi
  done
}

healthy() { "$TEMPORAL_CLI" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; }

# start_server starts the server in the background (unless it is running) and
# waits until the frontend reports SERVING.
start_server() {
  local pid
  if pid="$(server_pid)"; then
    say "Temporal server already running (pid $pid)"
  else
    check_ports_free
    [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
    say "starting Temporal server $TEMPORAL_SERVER_VERSION on $ADDRESS, log in ${LOG_FILE#"$ROOT"/}"
    nohup setsid "$SERVER_BIN" --root "$RUN_DIR" --config config --env "$CONFIG_ENV" --allow-no-auth start \
      >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
  fi
  pid="$(cat "$PID_FILE")"
  local deadline=$((SECONDS + 120))
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "Temporal server exited during startup; last lines of ${LOG_FILE#"$ROOT"/}:"
      tail -n 30 "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      return 1
    fi
    if ((SECONDS > deadline)); then
      say "Temporal server not healthy after 120s; see ${LOG_FILE#"$ROOT"/}"
      return 1
    fi
    sleep 1
  done
}

missing_search_attributes() {
  local list name
  list="$("$TEMPORAL_CLI" operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>/dev/null)" || {
    printf '%s\n' "${SEARCH_ATTRIBUTES[@]}"
    return
  }
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -Eq "^[[:space:]]*$name[[:space:]]+Keyword[[:space:]]*$" <<<"$list" || echo "$name"
  done
}

# ensure_namespace_and_search_attributes creates namespace default when it is
# missing and registers the Keyword search attributes, then waits until they
# are usable: listed, and accepted in a visibility query by the frontend (on
# SQL visibility they are namespace aliases that each service's namespace
# cache picks up a moment later).
ensure_namespace_and_search_attributes() {
  if ! "$TEMPORAL_CLI" operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    say "creating namespace $NAMESPACE"
    "$TEMPORAL_CLI" operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null
  fi
  local missing args=() name
  missing="$(missing_search_attributes)"
  if [[ -n "$missing" ]]; then
    for name in $missing; do args+=(--name "$name" --type Keyword); done
    say "registering search attributes in namespace $NAMESPACE: $(echo $missing)"
    local deadline=$((SECONDS + 60))
    # The namespace may be a moment old: retry until the server accepts.
    until "$TEMPORAL_CLI" operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" "${args[@]}" >/dev/null 2>&1; do
      if ((SECONDS > deadline)); then
        "$TEMPORAL_CLI" operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" "${args[@]}"
        return 1
      fi
      sleep 1
    done
  fi
  local query="" deadline=$((SECONDS + 60))
  for name in "${SEARCH_ATTRIBUTES[@]}"; do query+="${query:+ AND }$name='readiness-probe'"; done
  until [[ -z "$(missing_search_attributes)" ]] &&
    "$TEMPORAL_CLI" workflow count --address "$ADDRESS" --namespace "$NAMESPACE" --query "$query" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      say "search attributes not usable after 60s:"
      "$TEMPORAL_CLI" operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" >&2 || true
      "$TEMPORAL_CLI" workflow count --address "$ADDRESS" --namespace "$NAMESPACE" --query "$query" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  say "search attributes ${SEARCH_ATTRIBUTES[*]} (Keyword) usable in namespace $NAMESPACE"
}

STARTED_BY_US=0
RESET_DATA=0 # set by `test`
T_BUILD=0 T_SCHEMA=0 T_START=0

cmd_start() {
  local t mod
  mkdir -p "$RUN_DIR"
  t="$(now_ms)"
  ensure_temporal_cli
  ensure_server_binaries
  T_BUILD=$(($(now_ms) - t))

  t="$(now_ms)"
  ensure_postgres
  mod="$(module_dir)"
  if ((RESET_DATA)) && ! server_pid >/dev/null; then
    check_ports_free # never drop the databases under a server we did not start
    reset_databases
  fi
  ensure_schema "$mod"
  T_SCHEMA=$(($(now_ms) - t))

  t="$(now_ms)"
  server_pid >/dev/null || STARTED_BY_US=1
  write_config "$mod"
  start_server
  ensure_namespace_and_search_attributes
  T_START=$(($(now_ms) - t))

  say "Temporal server (PostgreSQL) ready at $ADDRESS, namespace $NAMESPACE (pid $(cat "$PID_FILE"))"
  say "  use it: TEMPORAL_ADDRESS=$ADDRESS bin/worker ; stop it: scripts/temporal-server.sh stop"
  echo "$ADDRESS"
}

cmd_stop() {
  local pid
  if ! pid="$(server_pid)"; then
    rm -f "$PID_FILE"
    say "Temporal server (PostgreSQL) is not running"
    return
  fi
  say "stopping Temporal server (pid $pid)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      say "still running after 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE"
  say "Temporal server stopped"
}

T_TEST=-1 TEST_RC=-1

# test_finish runs when `test` exits, however it exits: stop the server if this
# command started it, and print the phase timings and the verdict.
test_finish() {
  local rc=$?
  if ((STARTED_BY_US)); then cmd_stop || true; fi
  say "phase timings (wall clock):"
  say "  build (CLI + server + sql tool):                       $(fmt_ms "$T_BUILD")"
  say "  schema setup (role, databases, schemas):               $(fmt_ms "$T_SCHEMA")"
  say "  server start (to healthy, search attributes usable):   $(fmt_ms "$T_START")"
  if ((T_TEST >= 0)); then
    say "  tests (go test ./internal/e2e/...):                    $(fmt_ms "$T_TEST")"
  fi
  if ((TEST_RC == 0)); then
    say "e2e suite passed against the PostgreSQL-backed Temporal server"
  elif ((TEST_RC > 0)); then
    say "e2e suite FAILED against the PostgreSQL-backed Temporal server (go test exit $TEST_RC); server log: ${LOG_FILE#"$ROOT"/}"
  else
    say "failed before the tests ran (exit $rc)"
  fi
}

cmd_test() {
  local t
  trap test_finish EXIT
  RESET_DATA=1
  cmd_start >/dev/null
  if ((!STARTED_BY_US)); then
    say "note: the server was already running: testing against its existing data; it stays running"
  fi
  say "go test ./internal/e2e/... against $ADDRESS"
  t="$(now_ms)"
  TEST_RC=0
  CARDFLOW_E2E_TEMPORAL_ADDRESS="$ADDRESS" go test -count=1 "$@" ./internal/e2e/... || TEST_RC=$?
  T_TEST=$(($(now_ms) - t))
  return "$TEST_RC"
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
test)
  shift
  cmd_test "$@"
  ;;
*)
  echo "usage: $0 [start|stop|test [go test flags...]]" >&2
  exit 2
  ;;
esac
