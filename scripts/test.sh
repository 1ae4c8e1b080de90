#!/usr/bin/env bash
# Runs every test: unit, replay and integration (real Temporal dev server and
# PostgreSQL; the web console in headless Chromium against a real Dex).
# Installs the pinned Temporal CLI, Dex, Chromium and playwright-core, and
# starts PostgreSQL, first.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_temporal_cli
ensure_postgres
ensure_mailpit
ensure_cfssl     # the CA tests run a real CFSSL (testkit.CA)
ensure_dex       # the console's browser test signs in through Dex
ensure_chromium  # and drives headless Chromium with playwright-core
say "go vet"
go vet ./...
if [[ $# -gt 0 ]]; then
  say "go test $*"
  go test -count=1 -timeout 15m "$@"
  exit
fi
# The fault tests kill workers and stations, cut the CA and PostgreSQL, and
# wait for the recovery within deadlines: they run alone, after the rest, so
# that the other packages' load does not stretch the recovery they time.
say "go test ./... except internal/faults (unit, replay, integration)"
go test -count=1 -timeout 15m $(go list ./... | grep -v '/internal/faults$')
say "go test ./internal/faults/ (fault tests, alone)"
go test -count=1 -timeout 15m ./internal/faults/
