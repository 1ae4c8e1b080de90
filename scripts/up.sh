#!/usr/bin/env bash
# Brings cardflow up locally: the pinned Temporal dev server (UI on :8233) with
# the search attributes, PostgreSQL, migrations, demo users, the CA (CFSSL on
# :8888, OCSP on :8889), print station station-1, Dex and the web console
# (http://127.0.0.1:8080) in the background, and the worker in the
# foreground (Ctrl-C stops the worker; `make down` stops the rest).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/codec.sh"
cd "$ROOT"
ensure_postgres
# The pinned tools build side by side (on a fresh machine: as long as the
# longest, Dex, instead of one after another); later runs find
# them in bin/ and go straight on.
run_parallel ensure_temporal_cli ensure_mailpit ensure_dex ensure_cfssl

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@localhost:5432/cards?sslmode=disable}"
export CARDS_POLICY="${CARDS_POLICY:-config/policy.yaml}"
mkdir -p .run

if [[ "$DATABASE_URL" == postgres://postgres@localhost:5432/cards* ]] \
   && ! psql -h 127.0.0.1 -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'cards'" | grep -q 1; then
  say "creating database cards"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE cards"
fi

codec_up
ensure_secret_keys

if ! (exec 3<>/dev/tcp/127.0.0.1/7233) 2>/dev/null; then
  say "starting Temporal dev server (gRPC :7233, UI http://localhost:8233), log in .run/temporal.log"
  nohup "$TEMPORAL_CLI" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
    --db-filename .run/temporal.db --log-level warn "${CODEC_DEV_SERVER_ARGS[@]}" \
    --search-attribute CardRequestState=Keyword \
    --search-attribute CardUserId=Keyword \
    --search-attribute CardType=Keyword >.run/temporal.log 2>&1 &
  echo $! >.run/temporal.pid
  for _ in $(seq 1 60); do
    "$TEMPORAL_CLI" operator cluster health --address 127.0.0.1:7233 >/dev/null 2>&1 && break
    sleep 1
  done
fi

source "$ROOT/scripts/mail.sh" && start_mailpit
"$ROOT/scripts/ca.sh" start

say "building worker and starter into bin/"
go build -o bin/worker ./worker
go build -o bin/starter ./starter

say "migrating the database"
bin/worker migrate

say "adding demo users: olivia (operator), alice and bob (approver), carol (active, no role), dave (inactive)"
bin/starter users upsert --id olivia --given-name Olivia --surname Oakes --upn olivia@example.com --email olivia@example.com --state active --role operator >/dev/null
bin/starter users upsert --id alice --given-name Alice --surname Archer --upn alice@example.com --email alice@example.com --state active --role approver >/dev/null
bin/starter users upsert --id bob --given-name Bob --surname Baker --upn bob@example.com --email bob@example.com --state active --role approver >/dev/null
bin/starter users upsert --id carol --given-name Carol --surname Cole --upn carol@example.com --email carol@example.com --state active >/dev/null
bin/starter users upsert --id dave --given-name Dave --surname Dunn --upn dave@example.com --email dave@example.com --state inactive >/dev/null

"$ROOT/scripts/station.sh" start station-1
"$ROOT/scripts/console.sh" start

say "cardflow is up. Temporal UI: http://localhost:8233 . In another terminal: bin/starter request --user carol --operator olivia"
say "starting the worker (Ctrl-C to stop)"
exec bin/worker
