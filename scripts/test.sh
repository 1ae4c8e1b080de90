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
say "go test ./... (unit, replay, integration)"
go test -count=1 -timeout 15m "${@:-./...}"
