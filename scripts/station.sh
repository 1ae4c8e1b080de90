#!/usr/bin/env bash
# Starts and stops the local print station for `make up` / `make down`:
#   scripts/station.sh start|stop [STATION_ID]
# The station (bin/station) is a Temporal worker on task queue
# print-station-<id> that renders each card into .run/stations/<id>/<card id>/
# (card.pdf, front.png, back.png, chip.json). It uses the same TEMPORAL_*,
# CARDS_CODEC_KEYS and CARDS_CA_URL as the worker; log and pid in .run/.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p .run

STATION_ID="${2:-${CARDS_STATION_ID:-station-1}}"

start_station() {
  go build -o bin/station ./station
  local pidfile=".run/station-$STATION_ID.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "print station $STATION_ID already runs (pid $(cat "$pidfile"))"
    return
  fi
  say "starting print station $STATION_ID (output .run/stations/$STATION_ID), log in .run/station-$STATION_ID.log"
  CARDS_STATION_ID="$STATION_ID" nohup bin/station >".run/station-$STATION_ID.log" 2>&1 &
  echo $! >"$pidfile"
}

stop_station() {
  local pidfile=".run/station-$STATION_ID.pid"
  if [[ -f "$pidfile" ]]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    say "print station $STATION_ID stopped"
  fi
}

case "${1:-}" in
  start) start_station ;;
  stop) stop_station ;;
  *) echo "usage: scripts/station.sh start|stop [STATION_ID]" >&2; exit 2 ;;
esac
