// Package cardrender draws what a print station prints for one card: the
// CR80 layout as a two-page PDF (front, back) and the same two faces as
// 300 dpi PNGs. Without a real printer these files are the station's
// output; with one, they are its preview.
//
// One layout (layout.go) draws onto a small canvas interface that both the
// PDF (fpdf, vector) and the PNGs (golang.org/x/image, raster) implement, so
// the two cannot drift apart. The output depends only on the Card: fixed
// inputs give byte-identical files, which is what golden tests and a
// station's "same job, same result" rely on.
package cardrender

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cardflow/cardflow/internal/cardnumber"
)

// The CR80 card (ISO/IEC 7810 ID-1), in millimetres.
const (
	WidthMM  = 85.60
	HeightMM = 53.98
)

// DPI is the PNGs' resolution, a card printer's usual one.
const DPI = 300

// The PNGs' size in pixels: the card at DPI, rounded.
const (
	WidthPx  = 1011
	HeightPx = 638
)

// The names of the files a station writes into the card's folder.
const (
	PDFName   = "card.pdf"
	FrontName = "front.png"
	BackName  = "back.png"
)

// DefaultIssuer is the back's issuer line when the card names none.
const DefaultIssuer = "Issued by cardflow. If found, please return to the issuer."

// Card is what is printed on one card.
type Card struct {
	// HolderName is the holder's name as printed (the card's common name).
	HolderName string
	// CardType is the card type's name.
	CardType string
	// Number is the card number (cardnumber.Format); the back's QR code
	// encodes it.
	Number string
	// ValidUntil is printed as its UTC date, "valid until 2029-11-30".
	ValidUntil time.Time
	// Issuer is the line on the back; empty means DefaultIssuer.
	Issuer string
	// ProducedAt is stamped as the PDF's creation date. It is an input,
	// never the clock, so that the same card renders to the same bytes; the
	// zero time stamps the Unix epoch.
	ProducedAt time.Time
}

// Files are the rendered card.
type Files struct {
	PDF   []byte // card.pdf: two CR80 pages, front and back
	Front []byte // front.png at 300 dpi
	Back  []byte // back.png at 300 dpi
}

// ByName returns the files under the names a station writes them as.
func (f Files) ByName() map[string][]byte {
	return map[string][]byte{PDFName: f.PDF, FrontName: f.Front, BackName: f.Back}
}

// Render draws the card: the PDF and both PNGs.
func Render(c Card) (Files, error) {
	if err := c.check(); err != nil {
		return Files{}, err
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	code, err := newQR(c.Number)
	if err != nil {
		return Files{}, err
	}
	pdf, err := renderPDF(c, code)
	if err != nil {
		return Files{}, fmt.Errorf("render %s of card %s: %w", PDFName, c.Number, err)
	}
	front, err := renderPNG(func(cv canvas) { drawFront(cv, c) })
	if err != nil {
		return Files{}, fmt.Errorf("render %s of card %s: %w", FrontName, c.Number, err)
	}
	back, err := renderPNG(func(cv canvas) { drawBack(cv, c, code) })
	if err != nil {
		return Files{}, fmt.Errorf("render %s of card %s: %w", BackName, c.Number, err)
	}
	return Files{PDF: pdf, Front: front, Back: back}, nil
}

// check refuses a card that would print wrong: a missing field, or a number
// that fails its check digit (a typo would be printed and encoded for good).
func (c Card) check() error {
	var problems []string
	if strings.TrimSpace(c.HolderName) == "" {
		problems = append(problems, "no holder name")
	}
	if strings.TrimSpace(c.CardType) == "" {
		problems = append(problems, "no card type")
	}
	if !cardnumber.Valid(c.Number) {
		problems = append(problems, fmt.Sprintf("card number %q is not a valid card number (prefix, digits, Luhn check digit)", c.Number))
	}
	if c.ValidUntil.IsZero() {
		problems = append(problems, "no validity date")
	}
	if len(problems) > 0 {
		return errors.New("cannot render the card: " + strings.Join(problems, "; "))
	}
	return nil
}

// validity is the validity line as printed.
func validity(c Card) string {
	return "valid until " + c.ValidUntil.UTC().Format(time.DateOnly)
}
