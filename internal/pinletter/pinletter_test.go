package pinletter_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/secrets"
)

const cardID = "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab"

func letter(t *testing.T, name string) (pinletter.Letter, string) {
	t.Helper()
	pin, err := secrets.NewPIN(0)
	if err != nil {
		t.Fatal(err)
	}
	return pinletter.Letter{
		CardID: cardID, CardNumber: "C0000000018", HolderName: name,
		UPN: "carol@corp.example.com", Email: "carol@example.com", PIN: pin,
		Date: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
	}, pin.Reveal()
}

// The letter says what the holder needs: who it is for, the card number,
// the PIN, and that the PUK stays with the card office; the PDF is
// uncompressed, so all of it reads as text. The same letter renders to the
// same bytes.
func TestTheLetterHoldsNameNumberPINAndThePUKLine(t *testing.T) {
	l, pin := letter(t, "Carol Cole")
	pdf, err := pinletter.Render(l)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:16])
	}
	for _, want := range []string{"(" + pin + ")", "(Carol Cole)", "(C0000000018)", "(carol@corp.example.com)", "(carol@example.com)",
		"(To be delivered by internal mail)", "PUK", "kept by the card office", "/MediaBox [0 0 595.28 841.89]", "(30 November 2026)"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	again, err := pinletter.Render(l)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, again) {
		t.Error("the same letter rendered to different bytes")
	}
}

// A name Windows-1252 cannot write is set in the embedded Go fonts; the PIN
// is still plain text.
func TestANameBeyondWindows1252StillRenders(t *testing.T) {
	l, pin := letter(t, "Zoë Łukasiewicz-Δημήτρης")
	pdf, err := pinletter.Render(l)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("("+pin+")")) || !bytes.Contains(pdf, []byte("FontFile2")) {
		t.Error("the PIN is not plain text or the Go font is not embedded")
	}
}

func TestALetterWithoutPINOrNumberIsRefused(t *testing.T) {
	l, _ := letter(t, "Carol Cole")
	noPIN := l
	noPIN.PIN = secrets.PIN{}
	if _, err := pinletter.Render(noPIN); err == nil {
		t.Error("rendered a letter without a PIN")
	}
	noNumber := l
	noNumber.CardNumber = ""
	if _, err := pinletter.Render(noNumber); err == nil || !strings.Contains(err.Error(), cardID) {
		t.Errorf("a letter without a card number: %v", err)
	}
}

// Write puts the letter at <dir>/<card id>/pin-letter.pdf, readable by its
// owner only, leaves no temporary file, replaces it with the same bytes when
// run again, and refuses a card id that is not a UUID (it names a folder).
func TestWriteIsAtomicPrivateAndRepeatable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "letters")
	l, pin := letter(t, "Carol Cole")
	path, err := pinletter.Write(dir, l)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, cardID, "pin-letter.pdf"); path != want || pinletter.Path(dir, cardID) != want {
		t.Fatalf("written to %s, want %s", path, want)
	}
	first, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(first, []byte("("+pin+")")) {
		t.Fatalf("read the letter: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("letter mode %v (%v), want 0600", info.Mode(), err)
	}
	if _, err := pinletter.Write(dir, l); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Error("writing the letter again changed it")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, cardID))
	if len(entries) != 1 {
		t.Errorf("the card's folder holds %d entries, want the letter only", len(entries))
	}
	for _, bad := range []string{"../escape", "", "6F1C2D3E-4B5A-4C6D-8E7F-0123456789AB"} {
		l.CardID = bad
		if _, err := pinletter.Write(dir, l); err == nil {
			t.Errorf("wrote a letter for card id %q", bad)
		}
	}
}
