package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/store"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// TestCardPagesAreServedByIndexes asks the planner, with sequential scans
// and sorts priced out, how it runs each filter combination of the
// console's Cards page (first and later pages): every one must read an
// index in created_at order, never scan the table or sort all of it (an
// incremental sort of cards created in the same microsecond, by id, is fine).
func TestCardPagesAreServedByIndexes(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testkit.Database(t), store.PoolOptions{MaxOpen: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, set := range []string{"SET enable_seqscan = off", "SET enable_sort = off"} {
		if _, err := st.DB.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	after := store.EncodeCursor(time.Now(), "6f0c4c1e-4a44-4d55-9a38-0c1b51cf5a10")
	for _, f := range []store.PageFilter{
		{},
		{State: cards.StateRequested},
		{UserID: "ada"},
		{CardType: "visitor"},
		{State: cards.StateApproved, UserID: "ada"},
		{State: cards.StateApproved, CardType: "visitor"},
		{State: cards.StateApproved, UserID: "ada", CardType: "visitor"},
		{UserID: "ada", CardType: "visitor"},
		{ExpiringBefore: time.Now()},
		{ExpiringBefore: time.Now(), CardType: "visitor"},
		{ExpiringBefore: time.Now(), State: cards.StateActive},
		{ExpiringBefore: time.Now(), UserID: "ada"},
		{ExpiringBefore: time.Now(), UserID: "ada", CardType: "visitor"},
	} {
		cursors := []string{"", after}
		if !f.ExpiringBefore.IsZero() {
			cursors[1] = store.EncodeExpiryCursor(time.Now(), "6f0c4c1e-4a44-4d55-9a38-0c1b51cf5a10")
		}
		for _, cursor := range cursors {
			f.After, f.Limit = cursor, 25
			query, args, err := store.CardPageQuery(f)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			if err := st.DB.SelectContext(ctx, &plan, "EXPLAIN "+query, args...); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			fullSort := strings.Contains(strings.ReplaceAll(text, "Incremental Sort", ""), "Sort  (")
			if strings.Contains(text, "Seq Scan") || fullSort {
				t.Errorf("filter %+v is not served by an index:\n%s", f, text)
			}
			if !f.ExpiringBefore.IsZero() && f.UserID == "" && !strings.Contains(text, "cards_expiry") {
				t.Errorf("filter %+v does not use cards_expiry:\n%s", f, text)
			}
			if f.CardType != "" && f.UserID == "" && f.ExpiringBefore.IsZero() && !strings.Contains(text, "cards_by_type") {
				t.Errorf("filter %+v does not use cards_by_type:\n%s", f, text)
			}
		}
	}
}
