package schema_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// A migration that adds a table or a sequence must say what the
// application role may do with it, or that it gets nothing.
func TestGrantsNameEveryRelationTheMigrationsCreate(t *testing.T) {
	db := testkit.Open(t, testkit.Database(t))
	text, err := os.ReadFile("grants.sql")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)(?:\bON (?:TABLE|SEQUENCE) |^-- not granted: )(\w+)`).FindAllStringSubmatch(string(text), -1) {
		named[m[1]] = true
	}
	rows, err := db.Query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v', 'm')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	exists := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		exists[name] = true
		if !named[name] {
			t.Errorf("%s (created by a migration) is not in schema/grants.sql: add a GRANT with what the worker and the starter need, or a line `-- not granted: %s (why)`", name, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name := range named {
		if !exists[name] {
			t.Errorf("schema/grants.sql names %s, which no migration creates", name)
		}
	}
	if len(exists) < 7 {
		t.Fatalf("found only %d relations; is the schema migrated?", len(exists))
	}
}

func TestGrantedRoleKeepsTheAuditTrailAppendOnlyAndCannotChangeTheSchema(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	owner := testkit.Open(t, ownerURL)
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, owner, role); err != nil {
		t.Fatal(err)
	}
	if err := schema.Grant(ctx, owner, role); err != nil {
		t.Fatalf("second grant: %v", err)
	}
	app := testkit.Open(t, roleURL)
	allowed := []string{
		`INSERT INTO users (id, state) VALUES ('u1', 'active')`,
		`UPDATE users SET state = 'inactive' WHERE id = 'u1'`,
		`INSERT INTO user_roles (user_id, role) VALUES ('u1', 'operator')`,
		`DELETE FROM user_roles WHERE user_id = 'u1'`,
		`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
			VALUES ('00000000-0000-0000-0000-000000000001', 'u1', 'standard', 'cn', 'upn', 'requested', 'olivia', 'wf')`,
		`UPDATE cards SET state = 'approved', updated_at = now() WHERE id = '00000000-0000-0000-0000-000000000001'`,
		`INSERT INTO card_events (card_id, at, actor, to_state) VALUES ('00000000-0000-0000-0000-000000000001', now(), 'olivia', 'approved')`,
		`INSERT INTO card_approvals (card_id, actor, at) VALUES ('00000000-0000-0000-0000-000000000001', 'alice', now())`,
		`SELECT max(version_id) FROM goose_db_version`,
	}
	for _, stmt := range allowed {
		if _, err := app.Exec(stmt); err != nil {
			t.Errorf("as %s: %s: %v", role, stmt, err)
		}
	}
	refused := []string{
		`UPDATE card_events SET actor = 'mallory'`,
		`DELETE FROM card_events`,
		`TRUNCATE card_events`,
		`UPDATE cards SET requested_by = 'mallory'`,
		`DELETE FROM cards`,
		`UPDATE users SET id = 'u2' WHERE id = 'u1'`,
		`DELETE FROM users`,
		`DELETE FROM card_approvals`,
		`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, true)`,
		`CREATE TABLE intruder (id int)`,
		`DROP TABLE card_events`,
		`ALTER TABLE cards DROP CONSTRAINT cards_state_check`,
		`DROP TRIGGER card_events_append_only ON card_events`,
	}
	for _, stmt := range refused {
		_, err := app.Exec(stmt)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("as %s: %s: err = %v, want permission denied (42501)", role, stmt, err)
		}
	}
}

func TestGrantRefusesRolesForWhichItWouldMeanNothing(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	owner := testkit.Open(t, ownerURL)
	super, _ := testkit.Role(t, ownerURL)
	if _, err := owner.Exec(`ALTER ROLE ` + super + ` SUPERUSER`); err != nil {
		t.Fatal(err)
	}
	var current string
	if err := owner.QueryRow(`SELECT current_user`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ role, want string }{
		{"", "the role name is empty"},
		{"cardflow_nobody_here", `role cardflow_nobody_here does not exist: create it first`},
		{current, "the role running the migrations"},
		{super, "is a superuser"},
	} {
		err := schema.Grant(ctx, owner, tc.role)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("grant to %q: err = %v, want it to say %q", tc.role, err, tc.want)
		}
	}
}

// PostgreSQL answers a GRANT by someone who may not grant with a warning,
// not an error; Grant must not report that as a success.
func TestGrantByANonOwnerFailsInsteadOfGrantingNothing(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	owner := testkit.Open(t, ownerURL)
	app, appURL := testkit.Role(t, ownerURL)
	other, _ := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, owner, app); err != nil {
		t.Fatal(err)
	}
	err := schema.Grant(ctx, testkit.Open(t, appURL), other)
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL granted nothing: no privileges were granted for") ||
		!strings.Contains(err.Error(), "run the grants as the role that ran the migrations") {
		t.Fatalf("grant by the application role: err = %v, want a refusal naming who must grant", err)
	}
	var n int
	if err := owner.QueryRow(`SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = $1`, other).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%s got %d privileges from a failed grant, want none", other, n)
	}
}

func TestGrantsForQuotesTheRole(t *testing.T) {
	sql, err := schema.GrantsFor(`odd"name`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, `GRANT SELECT, INSERT ON TABLE card_events TO "odd""name";`) || strings.Contains(sql, `:"role"`) {
		t.Fatalf("grants for odd\"name:\n%s", sql)
	}
}

// The console's session store, the worker's notification bookkeeping and
// its notification outbox run their real statements as the granted role.
func TestGrantedRoleRunsTheSessionStoreAndNotifications(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, testkit.Open(t, ownerURL), role); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, roleURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	sessions := postgresstore.New(st.DB.DB)
	defer sessions.StopCleanup()
	if err := sessions.Commit("token-1", []byte("signed in"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("session commit as %s: %v", role, err)
	}
	if err := sessions.Commit("token-1", []byte("renewed"), time.Now().Add(2*time.Hour)); err != nil {
		t.Fatalf("session renewal as %s: %v", role, err)
	}
	if data, found, err := sessions.Find("token-1"); err != nil || !found || string(data) != "renewed" {
		t.Fatalf("session find as %s: %q, %v, %v", role, data, found, err)
	}
	if err := sessions.Delete("token-1"); err != nil {
		t.Fatalf("session delete as %s: %v", role, err)
	}

	if err := st.UpsertUserWithRoles(ctx, cards.User{ID: "u1", State: "active", Roles: []string{"operator"}}); err != nil {
		t.Fatalf("users upsert as %s: %v", role, err)
	}
	const cardID = "00000000-0000-0000-0000-000000000001"
	if _, _, err := st.InsertCard(ctx, store.Card{ID: cardID, UserID: "u1", CardType: "standard", CommonName: "cn", UPN: "upn",
		State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "wf", ApprovalsRequired: 1}, time.Now()); err != nil {
		t.Fatalf("insert card as %s: %v", role, err)
	}
	key := store.NotificationKey{CardID: cardID, Event: "requested", Recipient: "alice"}
	claim := store.NewClaim()
	if _, claimed, err := st.ClaimNotification(ctx, key, "alice@example.com", "<m1@example.com>", claim); err != nil || !claimed {
		t.Fatalf("claim notification as %s: %v, %v", role, claimed, err)
	}
	// A retry recorded for an event no longer queued queues it again.
	requeue := &store.Requeue{Input: []byte(`{"event":"requested"}`), QueuedAt: time.Now(), Attempts: 1, Delay: time.Hour}
	if _, err := st.RecordNotification(ctx, key, claim, "retry", "421 try later", requeue); err != nil {
		t.Fatalf("record notification as %s: %v", role, err)
	}
	if _, err := st.DB.Exec(`DELETE FROM notification_outbox`); err != nil {
		t.Fatalf("delete the queued retry as %s: %v", role, err)
	}
	if _, claimed, err := st.ClaimNotification(ctx, key, "alice@example.com", "<m1@example.com>", store.NewClaim()); err != nil || !claimed {
		t.Fatalf("claim a notification to retry as %s: %v, %v", role, claimed, err)
	}
	if _, _, err := st.SkipNotification(ctx, store.NotificationKey{CardID: cardID, Event: "requested", Recipient: "bob"}, "<m2@example.com>", "no address"); err != nil {
		t.Fatalf("skip notification as %s: %v", role, err)
	}
	if _, err := st.SkipDeparted(ctx, cardID, "requested", []string{"alice"}, "no longer a recipient"); err != nil {
		t.Fatalf("skip departed recipients as %s: %v", role, err)
	}
	// The notification outbox: a card write queues, the dispatcher claims
	// (FOR UPDATE SKIP LOCKED), reschedules and deletes.
	if _, _, err := st.TransitionCard(ctx, store.Transition{CardID: cardID, To: cards.StateApproved, Actor: "alice", At: time.Now(),
		Notify: &store.OutboxEvent{Event: "decided", Input: []byte(`{"event":"decided"}`)}}); err != nil {
		t.Fatalf("transition queuing an e-mail as %s: %v", role, err)
	}
	claimed, err := st.ClaimOutbox(ctx, 32, time.Minute, nil, store.NewOutboxClaim())
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim the outbox as %s: %d rows, %v", role, len(claimed), err)
	}
	if err := st.RescheduleOutbox(ctx, []store.OutboxRetry{{OutboxKey: claimed[0].Key(), Delay: -time.Second, Error: "421"}}); err != nil {
		t.Fatalf("reschedule as %s: %v", role, err)
	}
	if claimed, err = st.ClaimOutbox(ctx, 32, time.Minute, nil, store.NewOutboxClaim()); err != nil || len(claimed) != 1 {
		t.Fatalf("claim again as %s: %d rows, %v", role, len(claimed), err)
	}
	if n, err := st.FinishOutbox(ctx, []store.OutboxKey{{CardID: cardID, Event: "decided", Attempts: 1}}); err != nil || n != 0 {
		t.Fatalf("finish a stale claim as %s: %d, %v", role, n, err)
	}
	if _, err := st.ClaimOutbox(ctx, 32, time.Minute, []store.OutboxKey{claimed[0].Key()}, store.NewOutboxClaim()); err != nil {
		t.Fatalf("claim finishing the last batch as %s: %v", role, err)
	}
	var left int
	if err := st.DB.Get(&left, `SELECT count(*) FROM notification_outbox`); err != nil || left != 0 {
		t.Fatalf("as %s: %d rows left after the finishing claim, %v", role, left, err)
	}
	for _, stmt := range []string{`DELETE FROM notifications`, `UPDATE notifications SET recipient = 'mallory'`, `UPDATE sessions SET token = 'stolen'`,
		`UPDATE notification_outbox SET input = '{}'`, `TRUNCATE notification_outbox`} {
		_, err := st.DB.Exec(stmt)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("as %s: %s: err = %v, want permission denied (42501)", role, stmt, err)
		}
	}
}
