// Package pinletter renders the PIN letter: the A4 page that takes a card's
// PIN to its holder by post, made centrally and apart from the card, so that
// card and PIN travel separately (LIFECYCLE.md, "The PIN letter").
//
// The PDF is written uncompressed: it holds the PIN either way, and plain
// text lets a test (and an auditor) see exactly what it says. The bytes
// depend on the letter alone (its date included), so a re-rendered letter
// is the same file.
package pinletter

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/text/encoding/charmap"

	"github.com/cardflow/cardflow/internal/secrets"
)

// FileName is the PIN letter's name in its card's folder.
const FileName = "pin-letter.pdf"

// Letter is what a PIN letter says.
type Letter struct {
	// CardID names the card's folder and is printed small at the foot.
	CardID string
	// CardNumber is the number printed on the card.
	CardNumber string
	// HolderName, UPN and Email address the letter; the directory has no
	// postal address, so the mail room delivers it by internal mail.
	HolderName string
	UPN        string
	Email      string
	// PIN is the card's PIN, printed once.
	PIN secrets.PIN
	// Date is the letter's date, and its PDF's creation date.
	Date time.Time
}

// Page geometry in millimetres: A4 with 25 mm margins.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 25.0
	textW        = pageW - 2*margin
)

// Render draws the letter as a one-page A4 PDF.
func Render(l Letter) ([]byte, error) {
	if l.PIN.Reveal() == "" {
		return nil, errors.New("PIN letter: no PIN to print")
	}
	if l.CardID == "" || l.CardNumber == "" {
		return nil, fmt.Errorf("PIN letter of card %q: the card id and number are both needed (number %q)", l.CardID, l.CardNumber)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	date := l.Date.UTC()
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetCatalogSort(true)
	pdf.SetTitle("PIN letter, card "+l.CardNumber, true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	w := newWriter(pdf, l)
	pdf.AddPage()

	w.text(margin, 25, 9, true, "Card office")
	w.text(margin, 30, 9, false, "Personal and confidential")

	// The address block, where a window envelope shows it.
	y := 52.0
	for i, line := range l.address() {
		w.text(margin, y, 11, i == 0, line)
		y += 5.5
	}

	w.textRight(pageW-margin, 95, 10, l.Date.UTC().Format("2 January 2006"))
	w.text(margin, 112, 16, true, "Your PIN")
	w.text(margin, 126, 11, false, "Card number")
	w.text(margin+40, 126, 11, true, l.CardNumber)
	w.text(margin, 140, 11, false, "PIN")
	w.text(margin+40, 141, 22, true, l.PIN.Reveal())

	pdf.SetXY(margin, 156)
	for _, p := range paragraphs {
		w.paragraph(p)
	}
	w.text(margin, pageH-15, 7, false, "Card "+l.CardID)

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("PIN letter of card %s: %w", l.CardID, err)
	}
	return out.Bytes(), nil
}

// paragraphs are the letter's fixed text: how to treat the PIN, and that
// the PUK stays with the card office.
var paragraphs = []string{
	"Your card and this letter travel separately. Keep this letter apart from your card: learn the PIN, then destroy the letter.",
	"Never tell anyone your PIN, nor write it on the card. The card office will never ask you for it.",
	"The PUK, which unblocks the card after too many wrong PINs, is kept by the card office. If your card is blocked, ask the card office to unblock it.",
}

// address is the letter's address block: the directory's name, UPN and
// e-mail address (no postal address is kept), and how it travels.
func (l Letter) address() []string {
	lines := []string{l.HolderName}
	if l.HolderName == "" {
		lines[0] = l.UPN
	}
	if l.UPN != "" && l.UPN != lines[0] {
		lines = append(lines, l.UPN)
	}
	if l.Email != "" && l.Email != l.UPN {
		lines = append(lines, l.Email)
	}
	return append(lines, "To be delivered by internal mail")
}

// writer sets text in the PDF's built-in Helvetica when Windows-1252 can
// write it (the digits, the fixed text and Western European names) and in
// the embedded Go fonts otherwise, so that any holder's name prints.
type writer struct {
	pdf     *fpdf.Fpdf
	encoder *charmap.Charmap
	utf8    bool // the Go fonts are registered
}

func newWriter(pdf *fpdf.Fpdf, l Letter) *writer {
	w := &writer{pdf: pdf, encoder: charmap.Windows1252}
	for _, s := range l.address() {
		if _, ok := w.encode(s); !ok {
			pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
			pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
			w.utf8 = true
			break
		}
	}
	return w
}

func (w *writer) encode(s string) (string, bool) {
	out, err := w.encoder.NewEncoder().String(s)
	return out, err == nil
}

// font selects the font for s and returns s as that font expects it.
func (w *writer) font(sizePt float64, bold bool, s string) string {
	style := ""
	if bold {
		style = "B"
	}
	if enc, ok := w.encode(s); ok || !w.utf8 {
		w.pdf.SetFont("Helvetica", style, sizePt)
		return enc
	}
	w.pdf.SetFont("go", style, sizePt)
	return s
}

func (w *writer) text(x, y, sizePt float64, bold bool, s string) {
	w.pdf.Text(x, y, w.font(sizePt, bold, s))
}

func (w *writer) textRight(right, y, sizePt float64, s string) {
	enc := w.font(sizePt, false, s)
	w.pdf.Text(right-w.pdf.GetStringWidth(enc), y, enc)
}

func (w *writer) paragraph(s string) {
	enc := w.font(10, false, s)
	w.pdf.SetX(margin)
	w.pdf.MultiCell(textW, 5, enc, "", "L", false)
	w.pdf.Ln(3)
}
