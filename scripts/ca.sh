#!/usr/bin/env bash
# The local certificate authority (CFSSL v1.6.5, bin/cfssl) for Issue card:
#   scripts/ca.sh start    material under .run/ca/ (made once), the certificate
#                          store database, then `cfssl serve` and `cfssl ocspserve`
#                          in the background (pid files and logs in .run/ca/)
#   scripts/ca.sh stop     stops both
#   scripts/ca.sh status   says whether each answers
# Where: CARDS_CA_URL (default http://127.0.0.1:8888), CARDS_CA_OCSP_URL
# (http://127.0.0.1:8889), CARDS_CA_DIR (.run/ca), CARDS_CA_DB_URL
# (postgres://postgres@127.0.0.1:5432/cards_ca?sslmode=disable): the same
# variables the worker's CA adapter reads. The setup itself (profiles,
# schema, command lines) is Go, internal/cadev, shared with the tests.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

CA_URL="${CARDS_CA_URL:-http://127.0.0.1:8888}"
CA_OCSP_URL="${CARDS_CA_OCSP_URL:-http://127.0.0.1:8889}"
CA_DIR="${CARDS_CA_DIR:-.run/ca}"
CA_DB_URL="${CARDS_CA_DB_URL:-postgres://postgres@127.0.0.1:5432/cards_ca?sslmode=disable}"

answers() { curl -s -o /dev/null --max-time 1 "$1"; }

ca_start_one() { # name probe-url
  local name=$1 probe=$2 args
  if answers "$probe"; then
    say "cfssl $name already answers at $probe"
    return
  fi
  mapfile -t args <"$CA_DIR/$name.args"
  nohup "$ROOT/bin/cfssl" "${args[@]}" >>"$CA_DIR/$name.log" 2>&1 &
  echo $! >"$CA_DIR/$name.pid"
  for _ in $(seq 1 100); do
    answers "$probe" && return
    kill -0 "$(cat "$CA_DIR/$name.pid")" 2>/dev/null || break
    sleep 0.1
  done
  say "cfssl $name did not start; its log, $CA_DIR/$name.log:"
  tail -20 "$CA_DIR/$name.log" >&2
  return 1
}

ca_start() {
  ensure_cfssl
  ensure_postgres
  go run ./internal/cadev/cmd/cadev prepare -bin "$ROOT/bin/cfssl" -dir "$CA_DIR" \
    -url "$CA_URL" -ocsp-url "$CA_OCSP_URL" -db-url "$CA_DB_URL"
  ca_start_one serve "$CA_URL/api/v1/cfssl/health"
  ca_start_one ocspserve "$CA_OCSP_URL"
  say "CA up: API $CA_URL (sign, revoke, certinfo, ocspsign, crl), OCSP $CA_OCSP_URL"
  say "  material in $CA_DIR (ca.pem is the issuer), logs $CA_DIR/serve.log and ocspserve.log, store $CA_DB_URL"
  say "  check a card certificate: openssl ocsp -issuer $CA_DIR/ca.pem -cert c.pem -url $CA_OCSP_URL -noverify"
}

ca_stop() {
  local name
  for name in serve ocspserve; do
    if [[ -f "$CA_DIR/$name.pid" ]]; then
      kill "$(cat "$CA_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$CA_DIR/$name.pid"
      say "cfssl $name stopped"
    fi
  done
}

ca_status() {
  local ok=0
  if answers "$CA_URL/api/v1/cfssl/health"; then say "cfssl serve answers at $CA_URL"; else say "cfssl serve is down ($CA_URL)"; ok=1; fi
  if answers "$CA_OCSP_URL"; then say "cfssl ocspserve answers at $CA_OCSP_URL"; else say "cfssl ocspserve is down ($CA_OCSP_URL)"; ok=1; fi
  return $ok
}

case "${1:-}" in
  start) ca_start ;;
  stop) ca_stop ;;
  status) ca_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
