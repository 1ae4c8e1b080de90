package deploy

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/secrets"
)

// The named volumes of Issue card.
const (
	secretVolume   = "secret-keys"
	stationVolume  = "station-output"
	letterVolume   = "pin-letters"
	caPrivateVol   = "ca-material"
	caPublicVolume = "ca-public"
	stationService = "station-1"
)

// The PIN and PUK keys are the worker's alone: the one-shot that makes them
// writes the volume, the worker reads it, and no other service mounts it or
// is told of a key file (the station, the console, the codec server and the
// Temporal UI never handle a PIN).
func TestSecretKeysReachTheWorkerOnly(t *testing.T) {
	c := load(t)
	if _, ok := c.Volumes[secretVolume]; !ok {
		t.Fatalf("no %s volume", secretVolume)
	}
	by := mountedBy(c, secretVolume)
	names := make([]string, 0, len(by))
	for name := range by {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"cardflow-worker", "secret-keygen"}; !slices.Equal(names, want) {
		t.Errorf("%s is mounted by %v, want %v only", secretVolume, names, want)
	}
	if m := by["cardflow-worker"]; !m.readOnly {
		t.Errorf("the worker mounts %s writable", secretVolume)
	}
	for name, s := range c.Services {
		if _, ok := s.Environment[secrets.KeysEnv]; ok && name != "cardflow-worker" {
			t.Errorf("%s is given %s: only the worker opens PINs and PUKs", name, secrets.KeysEnv)
		}
	}
	w := c.Services["cardflow-worker"]
	file := w.Environment[secrets.KeysEnv]
	if file == "" || path.Dir(file) != by["cardflow-worker"].target {
		t.Errorf("the worker's %s = %q is not in its %s mount (%s)", secrets.KeysEnv, file, secretVolume, by["cardflow-worker"].target)
	}
	if file == w.Environment["CARDS_CODEC_KEYS"] {
		t.Errorf("%s is the payload key file: PINs need keys of their own", secrets.KeysEnv)
	}
	if got := w.DependsOn["secret-keygen"]["condition"]; got != "service_completed_successfully" {
		t.Errorf("the worker starts before its PIN and PUK keys exist (depends on secret-keygen with %q)", got)
	}
}

// The one-shot writes, once, a key file that the worker's sealing reads;
// a second start keeps it (sealed PUKs stay openable). Run here for real.
func TestSecretKeyGeneratorWritesAKeyFileOnce(t *testing.T) {
	c := load(t)
	dir, run := keygen(t, c, "secret-keygen", secretVolume)
	run()
	file := fileIn(dir, c.Services["cardflow-worker"].Environment[secrets.KeysEnv])
	keys, err := secrets.LoadKeys(file)
	if err != nil {
		t.Fatalf("the generated key file is not one the worker reads: %v", err)
	}
	pin, err := secrets.NewPIN(0)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := keys.SealPIN("card-1", pin)
	if err != nil {
		t.Fatalf("the generated key does not seal: %v", err)
	}
	if !strings.HasPrefix(sealed.KeyID, "secrets-") {
		t.Errorf("sealed with key %q, want the generated secrets-<date> key", sealed.KeyID)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("key file mode %v: readable by others", info.Mode().Perm())
	}
	first, _ := os.ReadFile(file)
	if out := run(); !strings.Contains(out, "kept") {
		t.Errorf("second start said %q, want that it kept the key", out)
	}
	if again, _ := os.ReadFile(file); string(again) != string(first) {
		t.Error("a second start replaced the key: PUKs sealed under the old one would be lost")
	}
}

// The print station is a Temporal client like the worker (same server and
// payload keys: its codec_test check) that holds nothing of cardflow's
// secrets: no PIN and PUK keys, no database, no PIN letters, not the CA's
// material. It writes its cards into its own folder of the station-output
// volume and asks the CA service for certificates.
func TestStationHoldsNoSecrets(t *testing.T) {
	c := load(t)
	st, ok := c.Services[stationService]
	if !ok {
		t.Fatalf("no %s service", stationService)
	}
	if st.Image != "cardflow:dev" || entrypoint(st) != "/usr/local/bin/station" {
		t.Errorf("%s runs %q from %q, want /usr/local/bin/station from cardflow:dev", stationService, entrypoint(st), st.Image)
	}
	id := st.Environment["CARDS_STATION_ID"]
	if id != stationService {
		t.Errorf("CARDS_STATION_ID = %q, want %s (the service's name, so that operators find it)", id, stationService)
	}
	for _, name := range []string{secrets.KeysEnv, "DATABASE_URL", "CARDS_CA_DB_URL", "CARDS_PIN_LETTER_DIR"} {
		if _, ok := st.Environment[name]; ok {
			t.Errorf("the station is given %s", name)
		}
	}
	for name, v := range st.Environment {
		if strings.Contains(v, "postgres") {
			t.Errorf("the station's %s = %q reaches a database", name, v)
		}
	}
	for _, m := range mounts(st) {
		switch m.source {
		case secretVolume, letterVolume, caPrivateVol:
			t.Errorf("the station mounts %s", m.source)
		case keyVolume:
		case caPublicVolume:
			// ca.pem: the CA adapter names certificates by the CA's key id.
			if !m.readOnly || st.Environment["CARDS_CA_DIR"] != m.target {
				t.Errorf("the station mounts %s at %s (read-only %v) but CARDS_CA_DIR = %q", caPublicVolume, m.target, m.readOnly, st.Environment["CARDS_CA_DIR"])
			}
		case stationVolume:
			if m.readOnly {
				t.Errorf("the station mounts %s read-only: it cannot write its cards", stationVolume)
			}
			if out := st.Environment["CARDS_STATION_OUTPUT"]; out != m.target+"/"+id {
				t.Errorf("CARDS_STATION_OUTPUT = %q, want %s/%s: its own folder of the %s volume", out, m.target, id, stationVolume)
			}
		default:
			t.Errorf("the station mounts %s, which it has no use for", m.source)
		}
	}
	if _, ok := mountOf(st, caPublicVolume); !ok {
		t.Errorf("the station does not mount %s: its CA adapter cannot start without ca.pem", caPublicVolume)
	}
	if _, ok := mountOf(st, stationVolume); !ok {
		t.Errorf("the station does not mount %s: its cards would be lost with the container", stationVolume)
	}
	if u := serviceURL(t, st, "CARDS_CA_URL"); u.Hostname() != "ca" || u.Port() != flag(t, c.Services["ca"], "port") {
		t.Errorf("the station's CARDS_CA_URL = %s, want the ca service's port", u)
	}
	for dep, cond := range map[string]string{"temporal-setup": "service_completed_successfully", "ca": "service_healthy"} {
		if got := st.DependsOn[dep]["condition"]; got != cond {
			t.Errorf("the station depends on %s with %q, want %q", dep, got, cond)
		}
	}
}

// The console shows the cards the stations rendered: it reads the whole
// station-output volume (one folder per station), read-only.
func TestConsoleSeesTheStationsCards(t *testing.T) {
	c := load(t)
	con, st := c.Services["cardflow-console"], c.Services[stationService]
	m, ok := mountOf(con, stationVolume)
	if !ok || !m.readOnly {
		t.Fatalf("the console must mount %s read-only, volumes %v", stationVolume, con.Volumes)
	}
	if root := con.Environment["CARDS_STATION_OUTPUT_ROOT"]; root != m.target {
		t.Errorf("CARDS_STATION_OUTPUT_ROOT = %q, want the mount %s", root, m.target)
	}
	if sm, _ := mountOf(st, stationVolume); path.Dir(st.Environment["CARDS_STATION_OUTPUT"]) != sm.target || sm.target != m.target {
		t.Errorf("the station writes into %s, the console reads <root>/<station id> under %s", st.Environment["CARDS_STATION_OUTPUT"], m.target)
	}
}

// PIN letters are made by the worker into a volume of their own, apart
// from the cards: only the worker mounts it.
func TestPINLettersStayWithTheWorker(t *testing.T) {
	c := load(t)
	by := mountedBy(c, letterVolume)
	w, ok := by["cardflow-worker"]
	if len(by) != 1 || !ok || w.readOnly {
		t.Fatalf("%s is mounted by %v, want by the worker only, writable", letterVolume, by)
	}
	if dir := c.Services["cardflow-worker"].Environment["CARDS_PIN_LETTER_DIR"]; dir != w.target {
		t.Errorf("CARDS_PIN_LETTER_DIR = %q, want the %s mount %s", dir, letterVolume, w.target)
	}
}
