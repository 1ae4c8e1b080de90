package cardrender

import "image/color"

// canvas is what the layout draws on, in millimetres from the top left
// corner; font sizes are in points. The PDF and the PNG implement it.
type canvas interface {
	// Fill paints a rectangle.
	Fill(x, y, w, h float64, c color.RGBA)
	// Text writes s with its baseline at y, starting at x.
	Text(x, y, sizePt float64, bold bool, c color.RGBA, s string)
	// NewPage starts the next face (the PNG canvas draws one face only).
	NewPage()
}

var (
	ink       = color.RGBA{R: 0x1a, G: 0x1a, B: 0x1a, A: 0xff}
	accent    = color.RGBA{R: 0x16, G: 0x3c, B: 0x6e, A: 0xff}
	white     = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	photoFill = color.RGBA{R: 0xe6, G: 0xe8, B: 0xeb, A: 0xff}
	line      = color.RGBA{R: 0x78, G: 0x7c, B: 0x82, A: 0xff}
	muted     = color.RGBA{R: 0x5a, G: 0x5e, B: 0x64, A: 0xff}
)

// The layout's fixed places, in millimetres. The photo box is 20 × 25 mm
// (4:5, a passport photo's proportions) with a 5 mm margin.
const (
	margin     = 5.0
	bandHeight = 9.0
	photoX     = margin
	photoY     = bandHeight + 4
	photoW     = 20.0
	photoH     = 25.0
	textX      = photoX + photoW + 4
	stroke     = 0.3
)

// The fixed words the layout prints.
const (
	frontTitle      = "IDENTITY CARD"
	photoLabel      = "PHOTO"
	cardTypeLabel   = "Card type"
	cardNumberLabel = "Card number"
)

// printedText is every text the layout prints for the card.
func printedText(c Card) []string {
	return []string{frontTitle, photoLabel, cardTypeLabel, cardNumberLabel, c.HolderName, c.CardType, c.Number, validity(c), c.Issuer}
}

// drawFront lays out the front: the issuer band, the photo placeholder,
// the holder's name, card type, number and validity.
func drawFront(cv canvas, c Card) {
	cv.Fill(0, 0, WidthMM, HeightMM, white)
	cv.Fill(0, 0, WidthMM, bandHeight, accent)
	cv.Text(margin, 6.2, 9, true, white, frontTitle)

	cv.Fill(photoX, photoY, photoW, photoH, line)
	cv.Fill(photoX+stroke, photoY+stroke, photoW-2*stroke, photoH-2*stroke, photoFill)
	cv.Text(photoX+5.2, photoY+photoH/2+1, 6, false, muted, photoLabel)

	cv.Text(textX, photoY+4, 10, true, ink, c.HolderName)
	cv.Text(textX, photoY+10, 7, false, muted, cardTypeLabel)
	cv.Text(textX, photoY+13.5, 8, false, ink, c.CardType)
	cv.Text(textX, photoY+19, 7, false, muted, cardNumberLabel)
	cv.Text(textX, photoY+22.5, 8, true, ink, c.Number)
	cv.Text(margin, HeightMM-margin, 8, false, ink, validity(c))
}

// The back's QR code: 9 pixels a module at 300 dpi (0.762 mm), so that
// the PNG's modules are whole pixels, sharp for the printer and a scanner.
const (
	modulePx = 9
	moduleMM = modulePx * 25.4 / DPI
	quiet    = 4 // modules of white around the code, as the QR standard asks
)

// drawBack lays out the back: the QR code of the card number, the number
// in clear under it, and the issuer line.
func drawBack(cv canvas, c Card, code qrCode) {
	cv.NewPage()
	cv.Fill(0, 0, WidthMM, HeightMM, white)
	cv.Fill(0, HeightMM-bandHeight, WidthMM, bandHeight, accent)

	size := float64(code.size+2*quiet) * moduleMM
	x0 := snap(WidthMM - margin - size)
	y0 := snap(margin - quiet*moduleMM/2)
	for y := 0; y < code.size; y++ {
		for x := 0; x < code.size; x++ {
			if code.dark(x, y) {
				cv.Fill(x0+float64(x+quiet)*moduleMM, y0+float64(y+quiet)*moduleMM, moduleMM, moduleMM, ink)
			}
		}
	}
	cv.Text(margin, 10, 7, false, muted, cardNumberLabel)
	cv.Text(margin, 14, 9, true, ink, c.Number)
	cv.Text(margin, 22, 7, false, muted, c.CardType)
	cv.Text(margin, HeightMM-bandHeight+5.6, 5.5, false, white, c.Issuer)
}

// snap moves a position onto the 300 dpi pixel grid, so that every module
// edge of the QR code falls on a pixel edge in the PNG.
func snap(mm float64) float64 {
	px := float64(int(mm*DPI/25.4 + 0.5))
	return px * 25.4 / DPI
}
