#!/usr/bin/env bash
# Validates docker-compose.yml offline (no Docker engine needed) with Debian's
# docker-compose, installing it when missing, then runs the wiring tests.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if ! command -v docker-compose >/dev/null; then
  say "installing Debian's docker-compose (offline validation only)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
docker-compose -f docker-compose.yml config -q
say "docker-compose.yml is valid"
go test -count=1 ./deploy/
