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

# ensure_dex builds the pinned Dex (OpenID Connect provider) into bin/ once,
# from the separate module in tools/dex (about 4.5 minutes on a fresh
# machine, seconds after).
ensure_dex() {
  if [[ -x "$ROOT/bin/dex" ]] && go version -m "$ROOT/bin/dex" 2>/dev/null | grep -q "mod.*github.com/dexidp/dex.*v0.0.0-20260303133905-11d2eeb52b42"; then
    return
  fi
  say "building Dex v2.45.1 into bin/ (first run only, about 4.5 minutes)"
  (cd "$ROOT/tools/dex" && go build -o "$ROOT/bin/dex" github.com/dexidp/dex/cmd/dex)
}

# ensure_mailpit builds the pinned Mailpit (SMTP server with a REST API)
# into bin/ once (about a minute on a fresh machine).
ensure_mailpit() {
  if [[ -x "$ROOT/bin/mailpit" ]] && go version -m "$ROOT/bin/mailpit" 2>/dev/null | grep -q "mod.*github.com/axllent/mailpit.*v1.30.5"; then
    return
  fi
  say "building Mailpit v1.30.5 into bin/ (first run only, about a minute)"
  GOBIN="$ROOT/bin" go install github.com/axllent/mailpit@v1.30.5
}

# ensure_cfssl builds the pinned CFSSL (the local certificate authority
# behind the CA port: issue, hold, release, revoke, OCSP) into bin/ once
# (about a minute on a fresh machine). `cfssl version` says "dev", so the
# module version is read from the binary.
ensure_cfssl() {
  if [[ -x "$ROOT/bin/cfssl" ]] && go version -m "$ROOT/bin/cfssl" 2>/dev/null | grep -q "mod.*github.com/cloudflare/cfssl.*v1.6.5"; then
    return
  fi
  say "building CFSSL v1.6.5 into bin/ (first run only, about a minute)"
  GOBIN="$ROOT/bin" go install github.com/cloudflare/cfssl/cmd/cfssl@v1.6.5
}

# ensure_chromium installs Debian's chromium and playwright-core (the
# browser tests' driver) when they are missing.
ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium (headless browser tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [[ ! -d "$ROOT/tools/uicheck/node_modules/playwright-core" ]]; then
    say "installing playwright-core (npm ci in tools/uicheck)"
    (cd "$ROOT/tools/uicheck" && npm ci --no-audit --no-fund --silent)
  fi
}

# ensure_debian_packages installs the Debian packages given that are missing,
# in one apt run (two apt runs at once would fight over the dpkg lock).
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# run_parallel runs the named functions at once, each with its own log, and
# fails (showing the failed logs) if any fails. On a fresh machine the tool
# builds are most of the time; side by side they take as long as the longest.
run_parallel() {
  local dir pids=() names=() failed=0 started=$SECONDS
  dir="$(mktemp -d)"
  say "checking, and building when missing, side by side: $* (first run: a few minutes; a failure shows its log)"
  for fn in "$@"; do
    ( "$fn" ) >"$dir/$fn.log" 2>&1 &
    pids+=($!)
    names+=("$fn")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      say "${names[$i]} failed:"
      cat "$dir/${names[$i]}.log" >&2
      failed=1
    fi
  done
  rm -rf "$dir"
  say "tools ready in $((SECONDS - started))s: $*"
  return $failed
}

# ensure_secret_keys creates .run/secret-keys once (the keys that seal PINs
# and PUKs at rest, apart from the payload keys) and exports
# CARDS_SECRET_KEYS, unless it is already set.
ensure_secret_keys() {
  if [[ -n "${CARDS_SECRET_KEYS:-}" ]]; then
    return
  fi
  local file="$ROOT/.run/secret-keys"
  mkdir -p "$ROOT/.run"
  if [[ ! -f "$file" ]]; then
    say "creating the PIN and PUK sealing key file .run/secret-keys (AES-256; never commit it)"
    (umask 077 && printf '# cardflow PIN and PUK keys: <key-id> <base64 of 32 bytes>; the first line seals, every line opens.\nsecrets-%s %s\n' \
      "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64)" >"$file")
  fi
  export CARDS_SECRET_KEYS="$file"
}
