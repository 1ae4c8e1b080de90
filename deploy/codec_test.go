package deploy

import (
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/codec"
)

// keyVolume is the named volume that holds the payload key file.
const keyVolume = "codec-keys"

// Every cardflow process that talks to Temporal reads the same key file,
// from the key volume mounted read-only, after the one-shot service that
// creates it has finished: otherwise it would write payloads in clear, or
// refuse to start.
func TestEveryTemporalClientReadsTheKeyFile(t *testing.T) {
	c := load(t)
	if _, ok := c.Volumes[keyVolume]; !ok {
		t.Fatalf("no %s volume", keyVolume)
	}
	var clients []string
	for name, s := range c.Services {
		if s.Image == "cardflow:dev" && (s.Environment["TEMPORAL_ADDRESS"] != "" || flatten(s.Command) == "codec-server") {
			clients = append(clients, name)
		}
	}
	slices.Sort(clients)
	if want := []string{"cardflow-codec", "cardflow-console", "cardflow-worker", "station-1"}; !slices.Equal(clients, want) {
		t.Errorf("Temporal clients %v, want %v", clients, want)
	}
	for _, name := range clients {
		s := c.Services[name]
		keys := s.Environment["CARDS_CODEC_KEYS"]
		if keys == "" || keys == "none" {
			t.Errorf("%s: CARDS_CODEC_KEYS = %q, want the key file", name, keys)
			continue
		}
		if !slices.Contains(s.Volumes, keyVolume+":"+path.Dir(keys)+":ro") {
			t.Errorf("%s: CARDS_CODEC_KEYS=%s but volumes %v lack %s:%s:ro", name, keys, s.Volumes, keyVolume, path.Dir(keys))
		}
		if got := s.DependsOn["codec-keygen"]["condition"]; got != "service_completed_successfully" {
			t.Errorf("%s starts before the key file exists (depends on codec-keygen with %q)", name, got)
		}
	}
}

// The one-shot key service writes, into the volume, a file in the format
// the processes read, once: a second start keeps the key, so that the
// histories written under it stay readable. Its script runs here for real.
func TestKeyGeneratorWritesAKeyFileOnce(t *testing.T) {
	c := load(t)
	dir, run := keygen(t, c, "codec-keygen", keyVolume)
	run()
	// The file the generator writes is the one the worker reads.
	file := fileIn(dir, c.Services["cardflow-worker"].Environment["CARDS_CODEC_KEYS"])
	keys, err := codec.LoadKeyFile(file)
	if err != nil {
		t.Fatalf("the generated key file is not one cardflow reads: %v", err)
	}
	if len(keys) != 1 {
		t.Fatalf("%d keys, want 1", len(keys))
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
		t.Error("a second start replaced the key: payloads written under the old one would be lost")
	}
}

// The Temporal UI decodes payloads through the codec server: its endpoint is
// where the browser reaches the codec server, and the codec server lets the
// UI's origin call it.
func TestUIDecodesThroughTheCodecServer(t *testing.T) {
	c := load(t)
	srv, ok := c.Services["cardflow-codec"]
	if !ok {
		t.Fatal("no cardflow-codec service")
	}
	if flatten(srv.Command) != "codec-server" {
		t.Errorf("cardflow-codec runs %q, want codec-server", flatten(srv.Command))
	}
	listen := srv.Environment["CARDS_CODEC_LISTEN"]
	_, port, ok := strings.Cut(listen, ":")
	if !strings.HasPrefix(listen, "0.0.0.0:") || !ok {
		t.Fatalf("CARDS_CODEC_LISTEN = %q: want 0.0.0.0:PORT, reachable from outside its container", listen)
	}
	// Anyone who reaches it reads the payloads: the host's loopback only.
	if want := "127.0.0.1:" + port + ":" + port; !slices.Contains(srv.Ports, want) {
		t.Errorf("cardflow-codec publishes %v, want %s", srv.Ports, want)
	}

	ui := c.Services["temporal-ui"]
	endpoint, err := url.Parse(ui.Environment["TEMPORAL_CODEC_ENDPOINT"])
	if err != nil || endpoint.Hostname() != "localhost" || endpoint.Port() != port {
		t.Errorf("temporal-ui TEMPORAL_CODEC_ENDPOINT = %q, want http://localhost:%s (the browser calls it)", ui.Environment["TEMPORAL_CODEC_ENDPOINT"], port)
	}
	if got := ui.DependsOn["cardflow-codec"]["condition"]; got == "" {
		t.Error("temporal-ui does not depend on cardflow-codec")
	}
	var uiOrigin string
	for _, p := range ui.Ports {
		if parts := strings.Split(p, ":"); len(parts) == 2 {
			uiOrigin = "http://localhost:" + parts[0]
		}
	}
	origins := strings.Split(srv.Environment["CARDS_CODEC_CORS_ORIGINS"], ",")
	if uiOrigin == "" || !slices.Contains(origins, uiOrigin) {
		t.Errorf("CARDS_CODEC_CORS_ORIGINS = %v, want the UI's origin %q so that the browser may read the answers", origins, uiOrigin)
	}
}
