package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSignedOutVisitorIsSentToSignIn(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	v := w.visitor()

	p := v.get("/cards/" + id)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/auth/login?next="+url.QueryEscape("/cards/"+id) {
		t.Fatalf("signed-out GET: %d to %q, want 303 to sign-in and back", p.status, p.header.Get("Location"))
	}
	p = v.post("/cards/"+id+"/approve", url.Values{"comment": {"x"}})
	if p.status != http.StatusUnauthorized {
		t.Fatalf("signed-out POST: %d, want 401", p.status)
	}
	p.has(t, "Please sign in")
	if len(w.cards.decided()) != 0 {
		t.Fatal("a signed-out post reached the workflow")
	}
}

func TestCrossSitePostIsRefusedBeforeAnythingHappens(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	alice := w.as("alice")
	alice.crossSite = true

	p := alice.post("/cards/"+id+"/approve", url.Values{"comment": {"forged"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", p.status)
	}
	p.has(t, "Refused: cross-origin request")
	if len(w.cards.decided()) != 0 {
		t.Fatal("a cross-site post reached the workflow")
	}
}

func TestNoStateChangeOnGet(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	alice := w.as("alice")
	for _, path := range []string{"/cards/" + id + "/approve", "/cards/" + id + "/reject", "/cards/" + id + "/cancel"} {
		if p := alice.get(path); p.status != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", path, p.status)
		}
	}
	if len(w.cards.decided()) != 0 {
		t.Fatal("a GET reached the workflow")
	}
	if p := alice.get("/auth/logout"); p.status < 400 {
		t.Errorf("GET /auth/logout: %d, want a refusal (signing out is a POST)", p.status)
	}
	if p := alice.get("/inbox"); p.status != http.StatusOK {
		t.Errorf("after GET /auth/logout the session ended (inbox: %d)", p.status)
	}
	if p := alice.post("/auth/logout", nil); p.status != http.StatusSeeOther {
		t.Errorf("POST /auth/logout: %d, want 303", p.status)
	}
	if p := alice.get("/inbox"); p.status != http.StatusSeeOther {
		t.Errorf("after sign-out the inbox answered %d, want 303 to sign in", p.status)
	}
}

func TestSomeoneTheDirectoryDoesNotKnowCanDoNothing(t *testing.T) {
	w := newWorld(t)
	id := w.card("carol", "olivia", "standard")
	for name, b := range map[string]*browser{
		"unknown":  w.signedIn("", "stranger@example.com"),
		"inactive": w.signedIn("dave", "dave@example.com"),
	} {
		for _, path := range []string{"/inbox", "/cards", "/cards/" + id, "/request"} {
			p := b.get(path)
			if p.status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", name, path, p.status)
			}
			p.has(t, "Not a directory user", "Sign out")
			p.lacks(t, `href="/inbox">Inbox`)
		}
		if p := b.post("/cards/"+id+"/approve", nil); p.status != http.StatusForbidden {
			t.Errorf("%s POST approve: %d, want 403", name, p.status)
		}
	}
	if len(w.cards.decided()) != 0 {
		t.Fatal("someone outside the directory reached the workflow")
	}
}

func TestSecurityHeadersAndNoInlineScript(t *testing.T) {
	w := newWorld(t)
	w.card("carol", "olivia", "standard")
	alice := w.as("alice")
	for _, path := range []string{"/inbox", "/cards", "/request", "/signed-out"} {
		p := alice.get(path)
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if got := p.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if strings.Count(p.body, "<script") != strings.Count(p.body, `<script src="/static/`) {
			t.Errorf("%s has an inline script", path)
		}
	}
	if p := alice.get("/static/htmx-" + HTMXVersion + ".min.js"); p.status != http.StatusOK || !strings.Contains(p.body, "htmx") {
		t.Errorf("htmx not served: %d", p.status)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		sm := NewSessions(nil, secure)
		if !sm.Cookie.HttpOnly || sm.Cookie.SameSite != http.SameSiteLaxMode || sm.Cookie.Secure != secure {
			t.Errorf("secure=%v: cookie %+v", secure, sm.Cookie)
		}
	}
}

func TestSignInReturnsOnlyToLocalPaths(t *testing.T) {
	for in, want := range map[string]string{
		"/cards/x":         "/cards/x",
		"":                 "/inbox",
		"https://evil.com": "/inbox",
		"//evil.com/x":     "/inbox",
		`/\evil.com`:       "/inbox",
		"/auth/callback":   "/inbox",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigNamesWhatIsMissing(t *testing.T) {
	c := Config{URL: "ftp://x"}
	err := c.Check()
	for _, want := range []string{"CARDS_CONSOLE_URL", "CARDS_OIDC_ISSUER", "CARDS_OIDC_CLIENT_ID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want it to name %s", err, want)
		}
	}
	c = Config{URL: "https://cards.example.com/", Auth: AuthConfig{Issuer: "https://id.example.com", ClientID: "console"}}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if c.Auth.RedirectURL != "https://cards.example.com/auth/callback" {
		t.Errorf("redirect URL %q", c.Auth.RedirectURL)
	}
}
