#!/usr/bin/env bash
# Stops the web console, Dex, the codec server and the dev server that
# scripts/up.sh started.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/codec.sh"
codec_down
cd "$ROOT"
"$ROOT/scripts/console.sh" stop
"$ROOT/scripts/station.sh" stop station-1
[[ -x "$ROOT/scripts/ca.sh" ]] && "$ROOT/scripts/ca.sh" stop
if [[ -f .run/temporal.pid ]]; then
  kill "$(cat .run/temporal.pid)" 2>/dev/null || true
  rm -f .run/temporal.pid
  say "Temporal dev server stopped"
fi
source "$ROOT/scripts/mail.sh" && stop_mailpit
