# Shared helpers for cardflow's scripts: install and start what cardflow needs
# on a fresh machine, and do nothing when it is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION="v1.5.1" # reports itself as Server 1.29.1, UI 2.42.1
TEMPORAL_CLI="$ROOT/bin/temporal"

say() { printf '==> %s\n' "$*" >&2; }

# ensure_temporal_cli builds the pinned Temporal CLI into bin/ once (about
# three minutes on a fresh machine; later runs reuse it).
ensure_temporal_cli() {
  if [[ -x "$TEMPORAL_CLI" ]] && "$TEMPORAL_CLI" --version 2>/dev/null | grep -q "Server 1.29.1, UI 2.42.1"; then
    return
  fi
  say "building Temporal CLI $TEMPORAL_CLI_VERSION into bin/ (first run only, about 3 minutes)"
  GOBIN="$ROOT/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}

# ensure_postgres starts the local PostgreSQL cluster if it does not answer.
ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    return
  fi
  if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  else
    say "PostgreSQL is not running on 127.0.0.1:5432 and no local cluster was found; install PostgreSQL 13+ or set DATABASE_URL"
    return 1
  fi
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && return
    sleep 1
  done
  say "PostgreSQL did not become ready"
  return 1
}
