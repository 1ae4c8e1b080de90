package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestConsoleAndDexAgree checks the console's wiring: the same database,
// Temporal, task queue and policy as the worker; an issuer, client and
// redirect URI that Dex's configuration really has; and a browser-visible
// issuer that the console can also reach.
func TestConsoleAndDexAgree(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Entrypoint  []string          `yaml:"entrypoint"`
			NetworkMode string            `yaml:"network_mode"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
	}
	data, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	console, ok := c.Services["cardflow-console"]
	if !ok {
		t.Fatal("no cardflow-console service")
	}
	dex, ok := c.Services["dex"]
	if !ok {
		t.Fatal("no dex service")
	}
	if dex.Image != "dexidp/dex:v2.45.1" {
		t.Errorf("dex image %q, want the pinned dexidp/dex:v2.45.1", dex.Image)
	}
	if len(console.Entrypoint) == 0 || console.Entrypoint[0] != "/usr/local/bin/console" {
		t.Errorf("the console service runs %v, not the console", console.Entrypoint)
	}
	worker := c.Services["cardflow-worker"]
	for _, name := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "CARDS_TASK_QUEUE", "CARDS_POLICY", "CARDS_CODEC_KEYS", "CARDS_CONSOLE_URL"} {
		if console.Environment[name] != worker.Environment[name] {
			t.Errorf("%s: console %q, worker %q; they must act on the same cards (and e-mails link to this console)", name, console.Environment[name], worker.Environment[name])
		}
	}
	// The same policy file and payload keys; nothing else of the worker's
	// (its PIN and PUK keys, the CA certificate, the PIN letters), and
	// nothing the console could write to.
	for _, v := range worker.Volumes {
		shared := strings.HasPrefix(v, "./config/") || strings.HasPrefix(v, keyVolume+":")
		if shared != slices.Contains(console.Volumes, v) {
			t.Errorf("the console mounts %v, the worker %v: the same policy file and payload keys, and nothing else of the worker's", console.Volumes, worker.Volumes)
		}
	}
	for _, v := range console.Volumes {
		if !strings.HasSuffix(v, ":ro") {
			t.Errorf("the console mounts %s writable", v)
		}
	}

	var mount string
	for _, v := range dex.Volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[1] == "/etc/dex/config.yaml" {
			mount = parts[0]
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", mount))
	if err != nil {
		t.Fatalf("dex config %q: %v", mount, err)
	}
	var cfg struct {
		Issuer        string `yaml:"issuer"`
		StaticClients []struct {
			ID           string   `yaml:"id"`
			Secret       string   `yaml:"secret"`
			RedirectURIs []string `yaml:"redirectURIs"`
		} `yaml:"staticClients"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	env := console.Environment
	if cfg.Issuer != env["CARDS_OIDC_ISSUER"] {
		t.Errorf("Dex issuer %q, console CARDS_OIDC_ISSUER %q", cfg.Issuer, env["CARDS_OIDC_ISSUER"])
	}
	found := false
	for _, cl := range cfg.StaticClients {
		if cl.ID == env["CARDS_OIDC_CLIENT_ID"] {
			found = true
			if cl.Secret != env["CARDS_OIDC_CLIENT_SECRET"] {
				t.Errorf("client %s: secret differs between Dex and the console", cl.ID)
			}
			if want := env["CARDS_CONSOLE_URL"] + "/auth/callback"; len(cl.RedirectURIs) != 1 || cl.RedirectURIs[0] != want {
				t.Errorf("client %s redirects to %v, want %s", cl.ID, cl.RedirectURIs, want)
			}
		}
	}
	if !found {
		t.Errorf("Dex has no client %q", env["CARDS_OIDC_CLIENT_ID"])
	}
	// The issuer is on localhost for the browser; the console reaches the
	// same localhost only by sharing Dex's network namespace, which must
	// then publish the console's port.
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if issuer.Hostname() == "localhost" && console.NetworkMode != "service:dex" {
		t.Errorf("issuer %s is on localhost, but the console does not share Dex's network (network_mode %q)", cfg.Issuer, console.NetworkMode)
	}
	consoleURL, _ := url.Parse(env["CARDS_CONSOLE_URL"])
	published := false
	for _, p := range dex.Ports {
		if strings.HasPrefix(p, consoleURL.Port()+":") {
			published = true
		}
	}
	if !published {
		t.Errorf("the console's port %s is not published (on the dex service, whose network it shares)", consoleURL.Port())
	}
}
