package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/console"
	"github.com/cardflow/cardflow/internal/policy"
)

// BenchmarkConsoleInbox measures the Inbox page end to end, for an
// approver who may decide every waiting card: the console's handler over
// its one indexed query of open approvals, against the dev server and a
// real worker (BenchmarkInbox in internal/store times the query alone, at
// 10,000 open approvals among 1,000,000 cards). Run: go test -run '^$' -bench ConsoleInbox ./internal/e2e/
func BenchmarkConsoleInbox(b *testing.B) {
	for _, waiting := range []int{10, 50, 500} {
		b.Run(fmt.Sprintf("waiting=%d", waiting), func(b *testing.B) {
			h := newHarness(b)
			ops := &cardops.Client{Temporal: h.client, TaskQueue: h.taskQueue}
			requestMany(b, h, ops, waiting)
			pol, err := policy.Load(h.policyPath)
			if err != nil {
				b.Fatal(err)
			}
			srv, err := console.NewServer(console.Server{
				Store: h.store, Policy: pol, Cards: ops,
				Sessions: console.NewSessions(postgresstore.NewWithCleanupInterval(h.store.DB.DB, 0), false),
			})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("/bench/sign-in", srv.Sessions.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				_ = srv.SignIn(r.Context(), "alice", "alice@example.com")
			})))
			mux.Handle("/", srv.Handler())
			web := httptest.NewServer(mux)
			defer web.Close()
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			get := func(path string) string {
				resp, err := client.Get(web.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
				return string(body)
			}
			get("/bench/sign-in")
			want := min(waiting, 50)
			if n := strings.Count(get("/inbox"), `<a href="/cards/`); n != want {
				b.Fatalf("inbox shows %d cards, want %d", n, want)
			}
			b.ResetTimer()
			for b.Loop() {
				get("/inbox")
			}
		})
	}
}

// requestMany requests a waiting standard card for each of n new users,
// eight at a time (a benchmark's setup, or a test's Inbox of many).
func requestMany(b testing.TB, h *harness, ops *cardops.Client, n int) {
	b.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		u := cards.User{ID: fmt.Sprintf("bench%04d", i), GivenName: "Bench", Surname: fmt.Sprint(i), State: "active"}
		if err := h.store.UpsertUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := ops.Request(ctx, cardops.RequestInput{CardID: uuid.NewString(), UserID: u.ID, CardType: "standard", RequestedBy: "olivia"})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
