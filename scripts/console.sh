#!/usr/bin/env bash
# Starts and stops the local Dex and web console for `make up` / `make down`:
#   scripts/console.sh start|stop
# Both run in the background with their logs and pids in .run/; the console
# uses the same DATABASE_URL, TEMPORAL_*, CARDS_TASK_QUEUE and CARDS_POLICY
# as the worker.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p .run

CONSOLE_URL="${CARDS_CONSOLE_URL:-http://127.0.0.1:8080}"

# start_console builds Dex (once) and the console, starts Dex on :5556 and
# the console on :8080 unless they already answer, and says how to sign in.
start_console() {
  ensure_dex
  go build -o bin/console ./console
  if ! (exec 3<>/dev/tcp/127.0.0.1/5556) 2>/dev/null; then
    say "starting Dex (OpenID Connect, http://127.0.0.1:5556/dex), log in .run/dex.log"
    nohup bin/dex serve config/dex.yaml >.run/dex.log 2>&1 &
    echo $! >.run/dex.pid
    wait_for_url "http://127.0.0.1:5556/dex/.well-known/openid-configuration" "Dex" .run/dex.log
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    say "starting the web console ($CONSOLE_URL), log in .run/console.log"
    CARDS_CONSOLE_URL="$CONSOLE_URL" \
    CARDS_OIDC_ISSUER="${CARDS_OIDC_ISSUER:-http://127.0.0.1:5556/dex}" \
    CARDS_OIDC_CLIENT_ID="${CARDS_OIDC_CLIENT_ID:-cardflow-console}" \
    CARDS_OIDC_CLIENT_SECRET="${CARDS_OIDC_CLIENT_SECRET:-cardflow-console-local-secret}" \
      nohup bin/console >.run/console.log 2>&1 &
    echo $! >.run/console.pid
    wait_for_url "http://127.0.0.1:8080/healthz" "the console" .run/console.log
  fi
  say "web console: $CONSOLE_URL  (sign in as olivia, alice, bob, carol or dave @example.com, password: password)"
}

# stop_console stops the console and Dex that start_console started.
stop_console() {
  for name in console dex; do
    if [[ -f ".run/$name.pid" ]]; then
      kill "$(cat ".run/$name.pid")" 2>/dev/null || true
      rm -f ".run/$name.pid"
      say "$name stopped"
    fi
  done
}

# wait_for_url waits up to 30 s for url to answer, else shows the log.
wait_for_url() {
  local url="$1" what="$2" log="$3"
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return
    sleep 0.5
  done
  say "$what did not start; its log ($log):"
  tail -20 "$log" >&2
  return 1
}

case "${1:-}" in
  start) start_console ;;
  stop) stop_console ;;
  *) echo "usage: scripts/console.sh start|stop" >&2; exit 2 ;;
esac
