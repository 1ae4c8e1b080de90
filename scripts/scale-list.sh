#!/usr/bin/env bash
# Scale check for `starter list`: a fresh database with 100,000 users and
# 1,000,000 cards (5% requested, 80% approved, 10% rejected, 5% aborted), the
# plan of the query `starter list --state requested --user X` runs, and the
# real command timed. Drops the database at the end.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_postgres
DB="cardflow_scale_$$"
URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1' EXIT
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
go build -o bin/worker ./worker && go build -o bin/starter ./starter
DATABASE_URL="$URL" bin/worker migrate >/dev/null 2>&1

say "generating 100,000 users and 1,000,000 cards"
start=$(date +%s.%N)
psql -h 127.0.0.1 -U postgres -d "$DB" -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO users (id, given_name, surname, upn, email, state)
SELECT 'user-' || i, 'Given' || i, 'Surname' || i, 'user' || i || '@example.com', '', 'active'
FROM generate_series(0, 99999) i;
-- Card i belongs to user i % 100000, except every 20th card: a requested
-- standard card of user i / 20 (one open request per user and type, as the
-- partial unique index demands).
INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, approvals_required, created_at, updated_at)
SELECT md5(i::text)::uuid,
       CASE WHEN i % 20 = 0 THEN 'user-' || (i / 20) ELSE 'user-' || (i % 100000) END,
       CASE WHEN i % 20 = 0 THEN 'standard' ELSE (ARRAY['standard','privileged','visitor'])[1 + i % 3] END,
       'Given Surname', 'u@example.com',
       CASE WHEN i % 20 = 0 THEN 'requested'
            WHEN i % 20 IN (1, 2) THEN 'rejected'
            WHEN i % 20 = 3 THEN 'aborted'
            ELSE 'approved' END,
       'olivia', 'request-card-' || md5(i::text)::uuid, 1,
       now() - (i || ' seconds')::interval, now()
FROM generate_series(0, 999999) i;
ANALYZE users; ANALYZE cards;
SQL
say "generated in $(echo "$(date +%s.%N) - $start" | bc) s"
psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT state, count(*) FROM cards GROUP BY state ORDER BY state"

say "plan of: starter list --state requested --user user-4242"
psql -h 127.0.0.1 -U postgres -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, approvals_required, created_at, updated_at FROM cards WHERE state = 'requested' AND user_id = 'user-4242' ORDER BY created_at DESC LIMIT 50"

say "the real command, 20 runs"
DATABASE_URL="$URL" bin/starter list --state requested --user user-4242
for i in $(seq 1 20); do
  s=$(date +%s%N); DATABASE_URL="$URL" bin/starter list --state requested --user user-4242 --json >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | sort -n | awk '{a[NR]=$1} END {printf "starter list wall time over %d runs: min %d ms, median %d ms, max %d ms\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'
