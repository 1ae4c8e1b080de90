#!/usr/bin/env bash
# Runs every test: unit, replay and integration (real Temporal dev server and
# PostgreSQL). Installs the pinned Temporal CLI and starts PostgreSQL first.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_temporal_cli
ensure_postgres
ensure_mailpit
say "go vet"
go vet ./...
say "go test ./... (unit, replay, integration)"
go test -count=1 -timeout 15m "${@:-./...}"
