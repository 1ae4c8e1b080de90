package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cfsslImage is the CA's image: the official one, pinned to the version
// the local CA and the tests build (scripts/lib.sh's ensure_cfssl).
const cfsslImage = "cfssl/cfssl:v1.6.5"

// commandArgs is a service's command as a list.
func commandArgs(s service) []string {
	list, _ := s.Command.([]any)
	args := make([]string, 0, len(list))
	for _, a := range list {
		args = append(args, flatten(a))
	}
	return args
}

// flag is the value of a `-name=value` argument of a service's command.
func flag(t *testing.T, s service, name string) string {
	t.Helper()
	for _, a := range commandArgs(s) {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
	}
	t.Errorf("command %v has no -%s=", commandArgs(s), name)
	return ""
}

// inConfig is the file under deploy/ that a path inside a CA container
// names, through its ./deploy/... mount.
func inConfig(t *testing.T, s service, p string) string {
	t.Helper()
	for _, m := range mounts(s) {
		if rest, ok := strings.CutPrefix(p, m.target+"/"); ok && strings.HasPrefix(m.source, "./deploy/") {
			return filepath.Join("..", m.source, rest)
		}
	}
	return ""
}

// The CA is two CFSSL services from the official image, `cfssl serve` and
// `cfssl ocspserve`, published on the host's loopback only (CFSSL's revoke
// has no authentication), at the ports the worker and the station are
// given; the CA's keys are in a volume only the CA mounts, and the worker
// gets the CA certificate alone.
func TestCAServices(t *testing.T) {
	c := load(t)
	ca, ok := c.Services["ca"]
	if !ok {
		t.Fatal("no ca service")
	}
	ocsp, ok := c.Services["ca-ocsp"]
	if !ok {
		t.Fatal("no ca-ocsp service")
	}
	for _, name := range []string{"ca-init", "ca", "ca-ocsp"} {
		if img := c.Services[name].Image; img != cfsslImage {
			t.Errorf("%s image %q, want %s", name, img, cfsslImage)
		}
	}
	if args := commandArgs(ca); len(args) == 0 || args[0] != "serve" {
		t.Errorf("ca runs %v, want cfssl serve", args)
	}
	if args := commandArgs(ocsp); len(args) == 0 || args[0] != "ocspserve" {
		t.Errorf("ca-ocsp runs %v, want cfssl ocspserve", args)
	}
	w := c.Services["cardflow-worker"]
	for svc, env := range map[string]string{"ca": "CARDS_CA_URL", "ca-ocsp": "CARDS_CA_OCSP_URL"} {
		s := c.Services[svc]
		port := flag(t, s, "port")
		if want := "127.0.0.1:" + port + ":" + port; !slices.Equal(s.Ports, []string{want}) {
			t.Errorf("%s publishes %v, want %s only: CFSSL's revoke has no authentication", svc, s.Ports, want)
		}
		if addr := flag(t, s, "address"); addr != "0.0.0.0" {
			t.Errorf("%s listens on %q, want 0.0.0.0 inside its container", svc, addr)
		}
		if u := serviceURL(t, w, env); u.Scheme != "http" || u.Hostname() != svc || u.Port() != port {
			t.Errorf("the worker's %s = %s, want http://%s:%s", env, u, svc, port)
		}
		if s.Healthcheck == nil {
			t.Errorf("%s has no health check, so service_healthy can never hold", svc)
		}
		if got := w.DependsOn[svc]["condition"]; got != "service_healthy" {
			t.Errorf("the worker depends on %s with %q, want service_healthy", svc, got)
		}
	}
	if got := ca.DependsOn["ca-init"]["condition"]; got != "service_completed_successfully" {
		t.Errorf("ca starts before its material exists (depends on ca-init with %q)", got)
	}
	for _, svc := range []string{"ca", "ca-ocsp"} {
		if got := c.Services[svc].DependsOn["ca-certdb"]["condition"]; got != "service_completed_successfully" {
			t.Errorf("%s starts before its certificate store exists (depends on ca-certdb with %q)", svc, got)
		}
	}

	// The CA's keys: made by ca-init, read by ca, nobody else.
	by := mountedBy(c, caPrivateVol)
	if len(by) != 2 || by["ca-init"].readOnly || by["ca"] == (mount{}) || !by["ca"].readOnly {
		t.Errorf("%s is mounted by %v, want ca-init (writable) and ca (read-only) only", caPrivateVol, by)
	}
	for _, name := range []string{"ca", "ca-key", "responder", "responder-key"} {
		if p := flag(t, ca, name); !strings.HasPrefix(p, by["ca"].target+"/") {
			t.Errorf("ca's -%s=%s is not in its %s mount", name, p, caPrivateVol)
		}
	}
	// The worker reads ca.pem from the public copy.
	pub, ok := mountOf(w, caPublicVolume)
	if !ok || !pub.readOnly || w.Environment["CARDS_CA_DIR"] != pub.target {
		t.Errorf("the worker's CARDS_CA_DIR = %q, want its read-only %s mount (volumes %v)", w.Environment["CARDS_CA_DIR"], caPublicVolume, w.Volumes)
	}
	if m, ok := mountOf(c.Services["ca-init"], caPublicVolume); !ok || m.readOnly {
		t.Errorf("ca-init does not write %s", caPublicVolume)
	}
	if got := w.DependsOn["ca-init"]["condition"]; got != "service_completed_successfully" {
		t.Errorf("the worker starts before ca.pem exists (depends on ca-init with %q)", got)
	}

	// Every configuration file the CA's commands name is in the repository.
	for svc, names := range map[string][]string{"ca": {"config", "db-config"}, "ca-ocsp": {"db-config"}} {
		for _, name := range names {
			p := flag(t, c.Services[svc], name)
			f := inConfig(t, c.Services[svc], p)
			if _, err := os.Stat(f); f == "" || err != nil {
				t.Errorf("%s's -%s=%s is not a file of deploy/ mounted into it (%v)", svc, name, p, err)
			}
		}
	}
}

// ca-config.json has a profile per card certificate usage, where the
// client (the CA adapter) picks the serial so that issuing is idempotent,
// pointing at the compose OCSP responder; and the responder's own profile.
func TestCAProfiles(t *testing.T) {
	c := load(t)
	data, err := os.ReadFile(inConfig(t, c.Services["ca"], flag(t, c.Services["ca"], "config")))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Signing struct {
			Profiles map[string]struct {
				Usages         []string `json:"usages"`
				OCSPURL        string   `json:"ocsp_url"`
				ClientSerial   bool     `json:"ClientProvidesSerialNumbers"`
				CopyExtensions bool     `json:"copy_extensions"`
			} `json:"profiles"`
		} `json:"signing"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("ca-config.json: %v", err)
	}
	ocspURL := "http://ca-ocsp:" + flag(t, c.Services["ca-ocsp"], "port")
	for name, usage := range map[string]string{"card-auth": "client auth", "card-sign": "content commitment", "card-enc": "key encipherment"} {
		p, ok := cfg.Signing.Profiles[name]
		if !ok {
			t.Errorf("no profile %s", name)
			continue
		}
		if !p.ClientSerial || p.CopyExtensions || p.OCSPURL != ocspURL || !slices.Contains(p.Usages, usage) {
			t.Errorf("profile %s = %+v: want ClientProvidesSerialNumbers, no copy_extensions, ocsp_url %s, usage %q", name, p, ocspURL, usage)
		}
	}
	if p := cfg.Signing.Profiles["ocsp"]; !slices.Contains(p.Usages, "ocsp signing") {
		t.Errorf("profile ocsp = %+v, want usage ocsp signing", p)
	}
}

// The certificate store: a database of the compose PostgreSQL that
// init.sql creates for the role the CA connects as, with CFSSL's tables and
// the finality trigger (the same statements as the local CA's), and the
// worker's adapter on it as the worker's role with grants.sql's privileges.
func TestCACertificateStore(t *testing.T) {
	c := load(t)
	ca := c.Services["ca"]
	data, err := os.ReadFile(inConfig(t, ca, flag(t, ca, "db-config")))
	if err != nil {
		t.Fatal(err)
	}
	var db struct {
		Driver     string `json:"driver"`
		DataSource string `json:"data_source"`
	}
	if err := json.Unmarshal(data, &db); err != nil {
		t.Fatalf("certdb.json: %v", err)
	}
	store := urlOf(t, "certdb.json", db.DataSource)
	if db.Driver != "postgres" || store.Hostname() != "postgresql" || store.Path != "/cards_ca" {
		t.Errorf("certdb.json = %+v, want postgres on the postgresql service, database cards_ca", db)
	}
	initSQL, err := os.ReadFile(filepath.Join("postgres", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE ROLE " + store.User.Username() + " LOGIN", "CREATE DATABASE cards_ca OWNER " + store.User.Username()} {
		if !strings.Contains(string(initSQL), want) {
			t.Errorf("deploy/postgres/init.sql lacks %q", want)
		}
	}

	w := c.Services["cardflow-worker"]
	adapter := serviceURL(t, w, "CARDS_CA_DB_URL")
	app := databaseURL(t, w)
	if adapter.Hostname() != "postgresql" || adapter.Path != "/cards_ca" || adapter.User.Username() != app.User.Username() {
		t.Errorf("CARDS_CA_DB_URL = %s, want database cards_ca as the worker's role %s", adapter.Redacted(), app.User.Username())
	}
	grants, err := os.ReadFile(filepath.Join("ca", "grants.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(grants), "TO "+app.User.Username()+";") {
		t.Errorf("deploy/ca/grants.sql grants nothing to the worker's role %s", app.User.Username())
	}

	schema, err := os.ReadFile(certDBSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(schema), "CREATE TRIGGER certificates_revocation_is_final") {
		t.Error("internal/cadev/certdb.sql lacks the finality trigger: a hold after a lock would make the lock releasable")
	}
	setup := flatten(c.Services["ca-certdb"].Command)
	for _, f := range []string{"certdb.sql", "grants.sql"} {
		if !regexp.MustCompile(`-f \S+/` + regexp.QuoteMeta(f)).MatchString(setup) {
			t.Errorf("ca-certdb does not apply %s", f)
		}
	}
	// One schema for the local CA, the tests and compose: ca-certdb applies
	// internal/cadev/certdb.sql itself, mounted where its command reads it.
	if m, ok := mountOf(c.Services["ca-certdb"], "./internal/cadev/certdb.sql"); !ok || !strings.Contains(setup, "-f "+m.target+" ") {
		t.Errorf("ca-certdb does not apply internal/cadev/certdb.sql, the store the local CA and the tests use (mount %+v)", m)
	}
}

// certDBSchema is the certificate store's one schema.
const certDBSchema = "../internal/cadev/certdb.sql"
