package cardrender

import (
	"bytes"
	"image/color"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/text/encoding/charmap"
)

// pdfCanvas draws on an fpdf document, whose unit is the millimetre.
type pdfCanvas struct {
	pdf *fpdf.Fpdf
	// family is the font family the text is set in; encode turns the text
	// into what that font's encoding expects.
	family string
	encode func(string) string
}

func (p pdfCanvas) Fill(x, y, w, h float64, c color.RGBA) {
	p.pdf.SetFillColor(int(c.R), int(c.G), int(c.B))
	p.pdf.Rect(x, y, w, h, "F")
}

func (p pdfCanvas) Text(x, y, sizePt float64, bold bool, c color.RGBA, s string) {
	style := ""
	if bold {
		style = "B"
	}
	p.pdf.SetFont(p.family, style, sizePt)
	p.pdf.SetTextColor(int(c.R), int(c.G), int(c.B))
	p.pdf.Text(x, y, p.encode(s))
}

func (p pdfCanvas) NewPage() { p.pdf.AddPage() }

// renderPDF draws both faces into a two-page CR80 PDF. The dates come from
// the card and the catalogue is sorted, so the bytes depend on the card
// alone.
//
// Text that Windows-1252 can write (Western European names, the common
// case) is set in the PDF's built-in Helvetica: nothing to embed, a few
// milliseconds a card. Any other name (Polish, Czech, Greek, Cyrillic...) is
// set in the Go fonts, embedded and subset, which prints every character but
// costs about 9 ms more (fpdf parses and subsets the font for each
// document). The PNGs always use the Go fonts.
func renderPDF(c Card, code qrCode) ([]byte, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P",
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: WidthMM, Ht: HeightMM},
	})
	produced := c.ProducedAt
	if produced.IsZero() {
		produced = time.Unix(0, 0)
	}
	pdf.SetCreationDate(produced.UTC())
	pdf.SetModificationDate(produced.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetTitle("Card "+c.Number, true)
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	cv := pdfCanvas{pdf: pdf, family: "Helvetica"}
	if text, ok := windows1252(c); ok {
		cv.encode = func(s string) string { return text[s] }
	} else {
		pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
		pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
		cv.family, cv.encode = "go", func(s string) string { return s }
	}
	pdf.AddPage()
	drawFront(cv, c)
	drawBack(cv, c, code)
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// windows1252 encodes every text the layout prints for the card into
// Windows-1252, the built-in fonts' encoding; ok is false when some
// character has no place in it.
func windows1252(c Card) (map[string]string, bool) {
	encoder := charmap.Windows1252.NewEncoder()
	out := map[string]string{}
	for _, s := range printedText(c) {
		encoded, err := encoder.String(s)
		if err != nil {
			return nil, false
		}
		out[s] = encoded
	}
	return out, true
}
