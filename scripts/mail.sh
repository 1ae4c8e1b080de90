# Mailpit for `make up`: a local SMTP server that keeps every e-mail the
# worker sends and shows them through its REST API. Sourced by up.sh and
# down.sh (after lib.sh).

MAILPIT_SMTP="127.0.0.1:1025"
MAILPIT_API="http://127.0.0.1:8025"

# start_mailpit builds Mailpit if missing, starts it in the background unless
# it already answers, and points the worker at it (CARDS_SMTP_URL,
# CARDS_MAIL_FROM; values already set in the environment win).
start_mailpit() {
  ensure_mailpit
  mkdir -p "$ROOT/.run"
  if ! (exec 3<>"/dev/tcp/${MAILPIT_SMTP%:*}/${MAILPIT_SMTP#*:}") 2>/dev/null; then
    say "starting Mailpit (SMTP $MAILPIT_SMTP, API $MAILPIT_API), log in .run/mailpit.log"
    nohup "$ROOT/bin/mailpit" --smtp "$MAILPIT_SMTP" --listen "${MAILPIT_API#http://}" \
      --database "$ROOT/.run/mailpit.db" --disable-version-check -q >"$ROOT/.run/mailpit.log" 2>&1 &
    echo $! >"$ROOT/.run/mailpit.pid"
    for _ in $(seq 1 50); do
      curl -fsS "$MAILPIT_API/api/v1/messages?limit=1" >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  export CARDS_SMTP_URL="${CARDS_SMTP_URL:-smtp://$MAILPIT_SMTP?tls=none}"
  export CARDS_MAIL_FROM="${CARDS_MAIL_FROM:-cardflow <cards@example.com>}"
  say "e-mail goes to Mailpit; read it with:"
  say "  curl -s $MAILPIT_API/api/v1/messages     # every e-mail (JSON: To, Subject, Snippet, ...)"
  say "  curl -s $MAILPIT_API/view/latest.txt     # the newest one's text"
}

# stop_mailpit stops the Mailpit that start_mailpit started.
stop_mailpit() {
  if [[ -f "$ROOT/.run/mailpit.pid" ]]; then
    kill "$(cat "$ROOT/.run/mailpit.pid")" 2>/dev/null || true
    rm -f "$ROOT/.run/mailpit.pid"
    say "Mailpit stopped"
  fi
}
