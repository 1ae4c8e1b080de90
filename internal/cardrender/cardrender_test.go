package cardrender

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/cardflow/cardflow/internal/cardnumber"
)

// -update rewrites the golden files (testdata) and the docs' screenshots
// from the current renderer: go test ./internal/cardrender -update
var update = flag.Bool("update", false, "rewrite testdata's golden files and docs/screenshots/card-*.png")

// demoCard is the card the goldens and the docs' screenshots show.
func demoCard(t testing.TB) Card {
	t.Helper()
	number, err := cardnumber.Format(cardnumber.DefaultPrefix, 4711, cardnumber.DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	return Card{
		HolderName: "Carol Cole",
		CardType:   "standard",
		Number:     number,
		ValidUntil: time.Date(2029, 11, 30, 0, 0, 0, 0, time.UTC),
		ProducedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
	}
}

// The rendered files equal the goldens byte for byte, and a second render
// gives the same bytes: the output depends on the card alone.
func TestRenderMatchesTheGoldenFiles(t *testing.T) {
	files, err := Render(demoCard(t))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Render(demoCard(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files.ByName() {
		if !bytes.Equal(data, again.ByName()[name]) {
			t.Errorf("%s differs between two renders of the same card", name)
		}
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (write the goldens with go test ./internal/cardrender -update)", err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s differs from %s (%d bytes, golden %d): if the change is intended, run go test ./internal/cardrender -update and look at the PNGs",
				name, golden, len(data), len(want))
		}
	}
	if *update {
		for name, shot := range map[string]string{FrontName: "card-front.png", BackName: "card-back.png"} {
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", shot), files.ByName()[name], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The PDF has two CR80 pages: 85.60 × 53.98 mm is 242.65 × 153.01 points.
func TestPDFIsTwoCR80Pages(t *testing.T) {
	files, err := Render(demoCard(t))
	if err != nil {
		t.Fatal(err)
	}
	boxes := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindAllStringSubmatch(string(files.PDF), -1)
	if len(boxes) == 0 {
		t.Fatal("no MediaBox in the PDF")
	}
	for _, b := range boxes {
		if b[1] != "242.65" || b[2] != "153.01" {
			t.Errorf("MediaBox %s × %s points, want 242.65 × 153.01 (CR80)", b[1], b[2])
		}
	}
	if pages := regexp.MustCompile(`/Type /Page\b`).FindAllString(string(files.PDF), -1); len(pages) != 2 {
		t.Errorf("%d pages, want 2 (front and back)", len(pages))
	}
	if !bytes.Contains(files.PDF, []byte("/CreationDate (D:20261130090000")) {
		t.Error("the PDF's creation date is not the card's ProducedAt")
	}
}

// The PNGs are the card at 300 dpi, and the back's QR code, read back by a
// decoder, is the card number.
func TestBackQRCodeDecodesToTheCardNumber(t *testing.T) {
	for _, number := range []string{demoCard(t).Number, mustFormat(t, "ABCDEFGH", 999999999999, 12)} {
		c := demoCard(t)
		c.Number = number
		files, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{FrontName: files.Front, BackName: files.Back} {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds().Size(); got != image.Pt(WidthPx, HeightPx) {
				t.Errorf("%s is %v px, want 1011 × 638", name, got)
			}
		}
		if got := decodeQR(t, files.Back); got != number {
			t.Errorf("back.png's QR code reads %q, want %q", got, number)
		}
	}
}

func mustFormat(t *testing.T, prefix string, n uint64, width int) string {
	t.Helper()
	s, err := cardnumber.Format(prefix, n, width)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeQR(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	result, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return result.GetText()
}

func TestRenderRefusesWhatWouldPrintWrong(t *testing.T) {
	c := demoCard(t)
	c.HolderName = " "
	c.Number = "C0000047110" // wrong check digit
	c.ValidUntil = time.Time{}
	_, err := Render(c)
	for _, want := range []string{"no holder name", `"C0000047110" is not a valid card number`, "no validity date"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one naming %q", err, want)
		}
	}
}

// BenchmarkRender renders one card: the PDF and both PNGs (target: at most
// 20 ms a card). Besides wall time it reports the process's CPU time per
// card (cpu-ns/op, garbage collection included), which other load on a
// shared machine disturbs far less.
func BenchmarkRender(b *testing.B) {
	c := demoCard(b)
	before := cpuTime(b)
	for b.Loop() {
		if _, err := Render(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-before)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A name Windows-1252 cannot write is set in the embedded Go fonts, which
// print it, and renders deterministically too.
func TestNamesBeyondLatin1EmbedTheGoFonts(t *testing.T) {
	c := demoCard(t)
	c.HolderName = "Łukasz Żółć Ωμέγα"
	first, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.PDF, second.PDF) || !bytes.Equal(first.Front, second.Front) {
		t.Error("two renders of the same card differ")
	}
	if !bytes.Contains(first.PDF, []byte("/FontFile2")) {
		t.Error("the Go fonts are not embedded for a name beyond Windows-1252")
	}
	plain, err := Render(demoCard(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.PDF, []byte("/FontFile2")) || !bytes.Contains(plain.PDF, []byte("/Helvetica")) {
		t.Error("a Western European name should use the built-in Helvetica, embedding nothing")
	}
}
