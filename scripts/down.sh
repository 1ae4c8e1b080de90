#!/usr/bin/env bash
# Stops the dev server and the codec server that scripts/up.sh started.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/codec.sh"
codec_down
cd "$ROOT"
if [[ -f .run/temporal.pid ]]; then
  kill "$(cat .run/temporal.pid)" 2>/dev/null || true
  rm -f .run/temporal.pid
  say "Temporal dev server stopped"
fi
source "$ROOT/scripts/mail.sh" && stop_mailpit
