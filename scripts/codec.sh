# Private payloads for the local stack (sourced by up.sh and down.sh, after
# lib.sh): a key file under .run/, the codec server that lets the Temporal UI
# and CLI read the encrypted payloads, and the dev server's UI pointed at it.

CODEC_KEYS_FILE="$ROOT/.run/codec-keys"
CODEC_LISTEN="${CARDS_CODEC_LISTEN:-127.0.0.1:8234}"
CODEC_ENDPOINT="http://$CODEC_LISTEN"
# What `temporal server start-dev` needs so that the UI decodes payloads.
CODEC_DEV_SERVER_ARGS=(--ui-codec-endpoint "$CODEC_ENDPOINT")

# codec_up creates the key file on first run, starts the codec server in the
# background (pid in .run/codec-server.pid, log in .run/codec-server.log) and
# exports CARDS_CODEC_KEYS for the worker. Call it before the dev server starts.
codec_up() {
  mkdir -p "$ROOT/.run"
  if [[ -z "${CARDS_CODEC_KEYS:-}" ]]; then
    if [[ ! -f "$CODEC_KEYS_FILE" ]]; then
      say "creating the payload key file .run/codec-keys (AES-256; never commit it)"
      (umask 077 && printf '# cardflow payload keys: <key-id> <base64 of 32 bytes>; the first line encrypts, every line decrypts.\nlocal-%s %s\n' \
        "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64)" >"$CODEC_KEYS_FILE")
    fi
    export CARDS_CODEC_KEYS="$CODEC_KEYS_FILE"
  fi
  codec_down quiet
  go build -o "$ROOT/bin/worker" "$ROOT/worker"
  CARDS_CODEC_LISTEN="$CODEC_LISTEN" \
    CARDS_CODEC_CORS_ORIGINS="${CARDS_CODEC_CORS_ORIGINS:-http://localhost:8233,http://127.0.0.1:8233}" \
    nohup "$ROOT/bin/worker" codec-server >"$ROOT/.run/codec-server.log" 2>&1 &
  echo $! >"$ROOT/.run/codec-server.pid"
  local host="${CODEC_LISTEN%:*}" port="${CODEC_LISTEN##*:}"
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      say "payloads are encrypted with $CARDS_CODEC_KEYS; codec server on $CODEC_ENDPOINT (log .run/codec-server.log)"
      say "bin/starter run from $ROOT finds .run/codec-keys itself; elsewhere: export CARDS_CODEC_KEYS=$CARDS_CODEC_KEYS"
      codec_check_dev_server
      return
    fi
    if ! kill -0 "$(cat "$ROOT/.run/codec-server.pid")" 2>/dev/null; then
      say "the codec server did not start:"
      cat "$ROOT/.run/codec-server.log" >&2
      return 1
    fi
    sleep 0.2
  done
  say "the codec server did not answer on $CODEC_LISTEN within 10 s; see .run/codec-server.log"
  return 1
}

# codec_check_dev_server warns when a dev server left running by an older
# `make up` has a UI without the codec endpoint.
codec_check_dev_server() {
  local pid
  pid="$(cat "$ROOT/.run/temporal.pid" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- --ui-codec-endpoint; then
    say "the running dev server's UI has no codec endpoint and will show encrypted payloads: run make down, then make up"
  fi
}

# codec_down stops the codec server that codec_up started.
codec_down() {
  local pidfile="$ROOT/.run/codec-server.pid"
  if [[ -f "$pidfile" ]]; then
    local pid
    pid="$(cat "$pidfile")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      [[ "${1:-}" == quiet ]] || say "codec server stopped"
    fi
    rm -f "$pidfile"
  fi
}
