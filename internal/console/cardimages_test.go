package console

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// pngBytes is a one-pixel PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeImages puts a card's front and back where station writes them.
func writeImages(t *testing.T, root, station, cardID string) {
	t.Helper()
	dir := filepath.Join(root, station, cardID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{sideFront, sideBack} {
		if err := os.WriteFile(filepath.Join(dir, side), pngBytes(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func certificateRows(status ca.Status) []store.CertificateRow {
	return []store.CertificateRow{
		{Usage: ca.Authentication, Serial: "0a1b", Status: status, NotAfter: time.Date(2029, 3, 31, 0, 0, 0, 0, time.UTC)},
		{Usage: ca.Signing, Serial: "0a1c", Status: status, NotAfter: time.Date(2029, 3, 31, 0, 0, 0, 0, time.UTC)},
	}
}

func TestCardImagesAreServedFromTheStationsFolderOnly(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "stations")
	w := newWorldWithServer(t, lifecyclePolicy, Server{StationOutputRoot: root})
	issued := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-2", number: "C0000010", gen: 1})
	writeImages(t, root, "station-2", issued)
	alice := w.as("alice")

	p := alice.get("/cards/" + issued + "/front.png")
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" || p.body != string(pngBytes(t)) {
		t.Fatalf("front.png: %d %q (%d bytes)", p.status, p.header.Get("Content-Type"), len(p.body))
	}
	if cc := p.header.Get("Cache-Control"); cc != "private, max-age=3600" {
		t.Errorf("front.png Cache-Control %q, want private", cc)
	}
	if p := alice.get("/cards/" + issued + "/back.png"); p.status != http.StatusOK {
		t.Errorf("back.png: %d", p.status)
	}

	// Nothing rendered yet, or removed: 404.
	if err := os.Remove(filepath.Join(root, "station-2", issued, sideBack)); err != nil {
		t.Fatal(err)
	}
	if p := alice.get("/cards/" + issued + "/back.png"); p.status != http.StatusNotFound {
		t.Errorf("missing back.png: %d, want 404", p.status)
	}
	approved := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	if p := alice.get("/cards/" + approved + "/front.png"); p.status != http.StatusNotFound {
		t.Errorf("a card never produced: %d, want 404", p.status)
	}

	// A station that would leave the root is never used as a path, even
	// with a file waiting there.
	escaped := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "../outside", number: "C0000011", gen: 1})
	writeImages(t, root, "../outside", escaped)
	if _, err := os.Stat(filepath.Join(base, "outside", escaped, sideFront)); err != nil {
		t.Fatal(err)
	}
	if p := alice.get("/cards/" + escaped + "/front.png"); p.status != http.StatusNotFound {
		t.Errorf("station ../outside: %d, want 404", p.status)
	}
	// A symbolic link out of the root is refused too.
	linked := w.cardIn("standard", cardAfter{state: cards.StateIssued, station: "station-4", number: "C0000012", gen: 1})
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(root, "station-4")); err != nil {
		t.Fatal(err)
	}
	writeImages(t, base, "outside", linked)
	if p := alice.get("/cards/" + linked + "/front.png"); p.status != http.StatusNotFound {
		t.Errorf("station folder linking out of the root: %d, want 404", p.status)
	}

	for _, path := range []string{
		"/cards/not-a-card/front.png",
		"/cards/..%2F..%2F" + issued + "/front.png",
		"/cards/0b9c6f1e-0000-4000-8000-000000000000/front.png", // no such card
	} {
		if p := alice.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
	if p := w.visitor().get("/cards/" + issued + "/front.png"); p.status != http.StatusSeeOther {
		t.Errorf("signed out: %d, want 303 to sign in", p.status)
	}
}
