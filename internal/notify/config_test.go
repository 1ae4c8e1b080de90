package notify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/notify"
)

func TestParseSMTPURL(t *testing.T) {
	ok := map[string]notify.SMTPServer{
		"smtp://127.0.0.1:1025?tls=none":                              {Host: "127.0.0.1", Port: 1025, TLS: "none"},
		"smtp://mail.example.com":                                     {Host: "mail.example.com", Port: 587, TLS: "mandatory"},
		"smtp://mail.example.com?tls=none":                            {Host: "mail.example.com", Port: 25, TLS: "none"},
		"smtp://u%40x:p%3Ass@mail.example.com:2525?tls=opportunistic": {Host: "mail.example.com", Port: 2525, Username: "u@x", Password: "p:ss", TLS: "opportunistic"},
		"smtps://relay:secret@[::1]":                                  {Host: "::1", Port: 465, Username: "relay", Password: "secret", TLS: "implicit"},
		"smtp://mail.example.com/?tls=MANDATORY":                      {Host: "mail.example.com", Port: 587, TLS: "mandatory"},
	}
	for raw, want := range ok {
		got, err := notify.ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	bad := map[string]string{
		"127.0.0.1:1025":                          "has no scheme: write smtp://127.0.0.1:1025",
		"http://mail.example.com":                 `scheme "http" is not smtp or smtps`,
		"smtp://":                                 "names no host",
		"smtp://mail.example.com:0":               "port",
		"smtp://mail.example.com:smtp":            "not a URL",
		"smtp://mail.example.com?tls=starttls":    `tls="starttls" is not none, opportunistic or mandatory`,
		"smtp://mail.example.com?ssl=1":           `unknown parameter "ssl"`,
		"smtps://mail.example.com?tls=none":       "smtps:// always uses TLS",
		"smtp://mail.example.com/inbox":           "unexpected path",
		"smtp://:secret@mail.example.com":         "a password without a user name",
		"smtp://u:hunter2@mail.example.com?tls=x": "tls=",
	}
	for raw, want := range bad {
		_, err := notify.ParseSMTPURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSMTPURL(%q) error %v, want one containing %q", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseSMTPURL(%q) error shows the password: %v", raw, err)
		}
	}
}

func TestConfigurationMistakesStopTheWorker(t *testing.T) {
	w := newWorld(t)
	good := w.config()
	cases := map[string]struct {
		change func(*notify.Config)
		want   string
	}{
		"no sender":       {func(c *notify.Config) { c.From = "" }, "CARDS_MAIL_FROM is not"},
		"no server":       {func(c *notify.Config) { c.SMTPURL = "" }, "CARDS_SMTP_URL is not"},
		"bad sender":      {func(c *notify.Config) { c.From = "cardflow" }, `CARDS_MAIL_FROM "cardflow" is not an e-mail address`},
		"bad server":      {func(c *notify.Config) { c.SMTPURL = "mail.example.com" }, "CARDS_SMTP_URL"},
		"bad console":     {func(c *notify.Config) { c.ConsoleURL = "cards.example.com" }, "CARDS_CONSOLE_URL"},
		"no template dir": {func(c *notify.Config) { c.TemplatesDir = filepath.Join(t.TempDir(), "missing") }, "CARDS_MAIL_TEMPLATES"},
	}
	for name, tc := range cases {
		cfg := good
		tc.change(&cfg)
		if _, err := notify.New(cfg, w.store, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
	if (notify.Config{}).Enabled() {
		t.Error("an empty configuration turns e-mail on")
	}
}

func TestTemplatesCanBeOverridden(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("requested.txt", "Bitte entscheiden: {{.UserName}} ({{.CardType}}) {{.CardURL}}\n")
	cfg := w.config()
	cfg.TemplatesDir = dir
	if _, err := w.service(cfg).Notify(t.Context(), w.card, nil); err != nil {
		t.Fatal(err)
	}
	m := w.smtp.To("alice@example.com")[0]
	if want := "Bitte entscheiden: Carol Cole (standard) https://cards.example.com/cards/" + w.card.CardID; strings.TrimSpace(m.Text) != want {
		t.Fatalf("text body %q, want the override %q", m.Text, want)
	}
	if !strings.Contains(m.HTML, "Open the card page to approve or reject it") {
		t.Fatalf("HTML body is not the built-in one:\n%s", m.HTML)
	}

	for src, want := range map[string]string{
		"{{.UserName":                 "requested.html does not parse",
		"{{.Salary}}":                 "requested.html fails on a sample card",
		"<a href={{.CardURL}}>ok</a>": "",
	} {
		write("requested.html", src)
		_, err := notify.New(cfg, w.store, nil)
		switch {
		case want == "" && err != nil:
			t.Errorf("template %q refused: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir)):
			t.Errorf("template %q: err = %v, want one naming the file and containing %q", src, err, want)
		}
	}
}
