package deploy

import (
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cardflow/cardflow/internal/notify"
)

type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	Entrypoint  any                          `yaml:"entrypoint"`
	Command     any                          `yaml:"command"`
	Environment map[string]string            `yaml:"environment"`
	Ports       []string                     `yaml:"ports"`
	Volumes     []string                     `yaml:"volumes"`
	DependsOn   map[string]map[string]string `yaml:"depends_on"`
	Healthcheck map[string]any               `yaml:"healthcheck"`
}

func load(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestWorkerGetsWhatItNeeds(t *testing.T) {
	c := load(t)
	w, ok := c.Services["cardflow-worker"]
	if !ok {
		t.Fatal("no cardflow-worker service")
	}
	host := func(name, raw string) string {
		if !strings.Contains(raw, "://") {
			raw = "grpc://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, raw, err)
		}
		return u.Hostname()
	}
	for name, wantService := range map[string]string{"TEMPORAL_ADDRESS": "temporal", "DATABASE_URL": "postgresql", "CARDS_SMTP_URL": "mailpit"} {
		v := w.Environment[name]
		if v == "" {
			t.Errorf("the worker lacks %s", name)
			continue
		}
		if h := host(name, v); h != wantService {
			t.Errorf("%s points at %q, want the %s service", name, h, wantService)
		}
		if _, ok := c.Services[wantService]; !ok {
			t.Errorf("%s points at a service that does not exist: %s", name, wantService)
		}
	}
	if w.Environment["CARDS_CODEC_KEYS"] == "" {
		t.Error("the worker lacks CARDS_CODEC_KEYS: it refuses to start without a key file or an explicit none")
	}
	policy := w.Environment["CARDS_POLICY"]
	mounted := slices.ContainsFunc(w.Volumes, func(v string) bool {
		parts := strings.Split(v, ":")
		return len(parts) >= 2 && parts[1] == policy
	})
	if policy == "" || !mounted {
		t.Errorf("CARDS_POLICY=%q is not a mounted file (volumes %v)", policy, w.Volumes)
	}
	for _, v := range w.Volumes {
		src := strings.Split(v, ":")[0]
		if strings.HasPrefix(src, "./") {
			if _, err := os.Stat(filepath.Join("..", src)); err != nil {
				t.Errorf("worker mounts %s, which does not exist", src)
			}
		}
	}
	if w.Healthcheck == nil {
		t.Error("the worker has no health check")
	}
}

func TestStartOrder(t *testing.T) {
	c := load(t)
	want := map[string]map[string]string{
		"cardflow-worker": {
			"temporal-setup":   "service_completed_successfully",
			"cardflow-migrate": "service_completed_successfully",
			"mailpit":          "service_started",
		},
		"cardflow-migrate": {"postgresql": "service_healthy"},
		"temporal-schema":  {"postgresql": "service_healthy"},
		"temporal":         {"temporal-schema": "service_completed_successfully"},
		"temporal-setup":   {"temporal": "service_started"},
	}
	for svc, deps := range want {
		for dep, cond := range deps {
			if got := c.Services[svc].DependsOn[dep]["condition"]; got != cond {
				t.Errorf("%s depends on %s with %q, want %q", svc, dep, got, cond)
			}
		}
	}
	for name, s := range c.Services {
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on %s, which does not exist", name, dep)
			}
		}
	}
	if c.Services["postgresql"].Healthcheck == nil {
		t.Error("postgresql has no health check, so service_healthy can never hold")
	}
}

func TestSearchAttributesAndMigrationsAreSetUp(t *testing.T) {
	c := load(t)
	setup := flatten(c.Services["temporal-setup"].Command)
	for _, attr := range []string{"CardRequestState", "CardUserId", "CardType", "Keyword"} {
		if !strings.Contains(setup, attr) {
			t.Errorf("temporal-setup does not register %s", attr)
		}
	}
	m := c.Services["cardflow-migrate"]
	if flatten(m.Command) != "migrate" {
		t.Errorf("cardflow-migrate must run `migrate`: %+v", m)
	}
	owner, app := databaseURL(t, m), databaseURL(t, c.Services["cardflow-worker"])
	if owner.Host != app.Host || owner.Path != app.Path {
		t.Errorf("cardflow-migrate migrates %s%s, the worker uses %s%s", owner.Host, owner.Path, app.Host, app.Path)
	}
	// The worker runs least-privileged: as the role migrate grants to, not
	// as the tables' owner.
	if grantee := m.Environment["CARDS_DB_GRANT_TO"]; grantee == "" || grantee != app.User.Username() || grantee == owner.User.Username() {
		t.Errorf("the worker connects as %q, cardflow-migrate runs as %q and grants to %q: want the worker on the granted role, not the owner",
			app.User.Username(), owner.User.Username(), grantee)
	}
	initSQL, err := os.ReadFile(filepath.Join("postgres", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(initSQL), "CREATE ROLE "+app.User.Username()+" LOGIN") {
		t.Errorf("deploy/postgres/init.sql does not create the worker's role %s", app.User.Username())
	}
}

func databaseURL(t *testing.T, s service) *url.URL {
	t.Helper()
	u, err := url.Parse(s.Environment["DATABASE_URL"])
	if err != nil || u.User == nil {
		t.Fatalf("DATABASE_URL %q: want a URL with a user (%v)", s.Environment["DATABASE_URL"], err)
	}
	return u
}

func TestHostPortsDoNotClash(t *testing.T) {
	c := load(t)
	seen := map[string]string{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if len(parts) < 2 {
				t.Errorf("%s publishes %q on a random port; pin it", name, p)
				continue
			}
			hostPort := parts[len(parts)-2]
			if other, dup := seen[hostPort]; dup {
				t.Errorf("host port %s is published by both %s and %s", hostPort, other, name)
			}
			seen[hostPort] = name
		}
	}
	if seen["5432"] != "" {
		t.Errorf("%s publishes 5432, which clashes with a local PostgreSQL", seen["5432"])
	}
}

func TestImageIsSmallAndNonRoot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, found %d FROM lines", len(froms))
	}
	final := text[strings.LastIndex(text, "\nFROM "):]
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(final, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "root") || users[len(users)-1][1] == "0" {
		t.Errorf("the final stage must run as a non-root user (USER lines: %v)", users)
	}
	if !strings.Contains(froms[len(froms)-1][1], "distroless") && !strings.Contains(froms[len(froms)-1][1], "scratch") {
		t.Errorf("the final stage %s is not a minimal base", froms[len(froms)-1][1])
	}
}

func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, flatten(p))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// The worker's e-mail settings are ones the worker accepts, and Mailpit is
// the version the tests run.
func TestWorkerMailsThroughMailpit(t *testing.T) {
	c := load(t)
	w := c.Services["cardflow-worker"]
	server, err := notify.ParseSMTPURL(w.Environment["CARDS_SMTP_URL"])
	if err != nil {
		t.Fatal(err)
	}
	if server.Host != "mailpit" || server.Port != 1025 || server.TLS != notify.TLSNone {
		t.Errorf("CARDS_SMTP_URL = %+v, want Mailpit's SMTP port without TLS", server)
	}
	if _, err := mail.ParseAddress(w.Environment["CARDS_MAIL_FROM"]); err != nil {
		t.Errorf("CARDS_MAIL_FROM: %v", err)
	}
	if img := c.Services["mailpit"].Image; img != "axllent/mailpit:v1.30.5" {
		t.Errorf("mailpit image %q, want axllent/mailpit:v1.30.5 (the version scripts/lib.sh builds)", img)
	}
}
