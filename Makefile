# cardflow: the everyday commands. `make up` brings the whole thing up
# locally, `make test` runs every test (what CI runs).
.PHONY: up down test unit integration lint temporal-cli build record-histories temporal-server integration-postgres ui-check compose-check bench bench-postgres bench-waiting bench-issue bench-expiry bench-order-request bench-order-issue bench-smoke

up:
	./scripts/up.sh

down:
	./scripts/down.sh

test:
	./scripts/test.sh

# Every test that needs no server, in every package: workflow unit and
# replay tests, policy, CLI parsing, codec... `-short` skips the integration
# tests (PostgreSQL, dev server, Mailpit, Dex, Chromium; testkit.Integration),
# so nothing needs to run. `make test` runs them all.
unit:
	go test -short -count=1 ./...

# Integration tests against the dev server and PostgreSQL.
integration:
	./scripts/test.sh ./internal/e2e/...

# A production-like Temporal server (built from source, PostgreSQL persistence
# and visibility) on 127.0.0.1:7333; `scripts/temporal-server.sh stop` stops it.
temporal-server:
	./scripts/temporal-server.sh start

# The integration suite against that server (started and stopped around it).
integration-postgres:
	./scripts/temporal-server.sh test

build:
	go build -o bin/worker ./worker
	go build -o bin/starter ./starter
	go build -o bin/console ./console
	go build -o bin/station ./station

temporal-cli:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli'

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	go run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/...

# Re-record the replay-test histories from the integration suite (after an
# intended, versioned workflow change; keep the old files alongside).
record-histories:
	CARDFLOW_RECORD_HISTORIES=$(CURDIR)/workflows/testdata/histories/v5 ./scripts/test.sh ./internal/e2e/...

# The Temporal UI in headless Chromium: filtered list and execution page,
# screenshots into docs/screenshots/.
ui-check:
	./scripts/ui-check.sh

# docker-compose.yml validated offline, and its wiring tested.
compose-check:
	./scripts/compose-check.sh

# Throughput and latency of cardflow with everything on (directory checks,
# encryption, e-mail to Mailpit) against the minimal baseline (the targets)
# and the old baseline, on a dev server the harness starts (docs/performance.md).
bench:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit'
	go run ./bench -n 2000 -c 32 -rounds 4 -out bench-results.json

# The same on the PostgreSQL-backed server built from source (started if it
# is not running, and left running: `scripts/temporal-server.sh stop`).
bench-postgres:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit'
	./scripts/temporal-server.sh start
	go run ./bench -n 2000 -c 32 -rounds 4 -temporal-address 127.0.0.1:7333 \
		-server-pid "$$(cat .run/temporal-server/server.pid)" -out bench-results-postgres.json

# 10,000 cards waiting for approval at once: worker memory (and a heap
# profile with all of them waiting), then the time to approve them all.
bench-waiting:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit'
	go run ./bench -waiting 10000 -c 32 -memprofile bench-results-waiting-heap.prof -out bench-results-waiting.json

# Issue card: a request without approval, Issue card at a real print
# station (rendering, files, two certificates from a CFSSL CA the bench
# starts, OCSP checked) and Activate card, against minimal workflows doing
# the same Temporal steps with empty activities. One station prints one card
# at a time, as one printer does.
bench-issue:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit && ensure_cfssl'
	go run ./bench -scenarios issue -n 200 -c 8 -rounds 2 -warmup 20 -out bench-results-issue.json

# The expiry sweep: one over 1,000,000 cards with nothing due (target 1 s),
# then one with 10,000 due, half reminded and half expired (target 60 s),
# and the time until Mailpit holds their 10,000 e-mails.
bench-expiry:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit'
	go run ./bench -scenarios expiry -expiry-cards 1000000 -expiry-due 10000 -out bench-results-expiry.json

# Batch orders at scale: a request order of 10,000 users (Order workflow)
# against as many users requested one by one at the order's window, in the
# same run; and an issue order of 2,000 approved cards at a real print
# station (CFSSL) against as many issued one by one (-order-users, -order-cards).
bench-order-request:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit'
	go run ./bench -scenarios order-request -order-users 10000 -out bench-results-order-request.json

bench-order-issue:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit && ensure_cfssl'
	go run ./bench -scenarios order-issue -order-cards 2000 -out bench-results-order-issue.json

# The harness small, for correctness (CI runs it as part of `make test`).
bench-smoke:
	bash -c 'source scripts/lib.sh && ensure_temporal_cli && ensure_postgres && ensure_mailpit && ensure_cfssl'
	go test -count=1 -v ./bench/...
