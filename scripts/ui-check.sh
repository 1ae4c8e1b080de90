#!/usr/bin/env bash
# Checks the Temporal UI as the on-call engineer sees it, in headless Chromium:
# starts its own dev server (UI on :18233), database and worker, requests a
# privileged card (two approvals) and approves it once, then verifies that the
# list filtered by CardRequestState shows it and that its page shows the
# summary and "1 of 2 approvals". Payloads are encrypted (a fresh key file)
# and the UI reads them through the codec server (--ui-codec-endpoint), so the
# page must also show decoded data: the user's common name in the status
# query. Screenshots go to docs/screenshots/.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_temporal_cli
ensure_postgres

if ! command -v chromium >/dev/null; then
  say "installing Debian's chromium (headless browser for the UI check)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -d tools/uicheck/node_modules/playwright-core ]]; then
  say "installing playwright-core (npm ci in tools/uicheck)"
  (cd tools/uicheck && npm ci --no-audit --no-fund --silent)
fi

WORK="$(mktemp -d)"
DB="cardflow_uicheck_$$"
GRPC=17233 UI=18233 CODEC=18234
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
export TEMPORAL_ADDRESS="127.0.0.1:$GRPC" CARDS_METRICS_ADDRESS="127.0.0.1:0" CARDS_POLICY="$WORK/policy.yaml"
export CARDS_CODEC_KEYS="$WORK/codec-keys" CARDS_CODEC_LISTEN="127.0.0.1:$CODEC" CARDS_CODEC_CORS_ORIGINS="http://127.0.0.1:$UI"
(umask 077 && echo "uicheck $(head -c 32 /dev/urandom | base64)" >"$CARDS_CODEC_KEYS")
# The shipped policy with Issue card off: this check looks at requests only,
# so it needs no CA, print station or PIN keys.
sed 's/issueCard: true/issueCard: false/' config/policy.yaml >"$WORK/policy.yaml"
cleanup() {
  [[ -n "${WORKER_PID:-}" ]] && kill "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null
  [[ -n "${CODEC_PID:-}" ]] && kill "$CODEC_PID" 2>/dev/null && wait "$CODEC_PID" 2>/dev/null
  [[ -n "${SERVER_PID:-}" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say "starting a dev server with the UI on :$UI"
"$TEMPORAL_CLI" server start-dev --ip 127.0.0.1 --port $GRPC --ui-port $UI --http-port 0 --log-level error \
  --ui-codec-endpoint "http://127.0.0.1:$CODEC" \
  --search-attribute CardRequestState=Keyword --search-attribute CardUserId=Keyword \
  --search-attribute CardType=Keyword >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  "$TEMPORAL_CLI" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
  sleep 0.5
done

psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
go build -o bin/worker ./worker
go build -o bin/starter ./starter
bin/worker migrate >/dev/null
bin/worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
bin/worker codec-server >"$WORK/codec.log" 2>&1 &
CODEC_PID=$!

bin/starter users upsert --id olivia --given-name Olivia --surname Oakes --upn olivia@example.com --state active --role operator >/dev/null
bin/starter users upsert --id alice --given-name Alice --surname Archer --upn alice@example.com --state active --role approver >/dev/null
bin/starter users upsert --id erin --given-name Erin --surname Ellis --upn erin@example.com --state active >/dev/null
ID="$(bin/starter request --user erin --card-type privileged --operator olivia --json | sed -n 's/^  "id": "\(.*\)",$/\1/p')"
[[ -n "$ID" ]] || { say "request failed"; cat "$WORK/worker.log"; exit 1; }
bin/starter approve --request "$ID" --approver alice --comment "known to me" >/dev/null
RUN_ID="$("$TEMPORAL_CLI" workflow describe --address "$TEMPORAL_ADDRESS" --workflow-id "request-card-$ID" -o json | sed -n 's/.*"runId": "\([^"]*\)".*/\1/p' | head -1)"

say "checking the UI in headless Chromium"
node tools/uicheck/uicheck.mjs --ui "http://127.0.0.1:$UI" --workflow-id "request-card-$ID" --run-id "$RUN_ID" \
  --expect-summary "Card for erin (privileged), requested by olivia" --expect-details "1 of 2 approvals" \
  --expect-decoded "Erin Ellis" --out docs/screenshots
