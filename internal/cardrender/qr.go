package cardrender

import (
	"fmt"
	"image/color"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// qrCode is the card number's QR code as a square of modules. The modules
// are drawn as filled rectangles (vector in the PDF) rather than an
// embedded image, which stays sharp at any printer's resolution.
type qrCode struct {
	code barcode.Barcode
	size int
}

// newQR encodes the card number, error correction M (15% of the code may
// be scratched off), in the smallest version that holds it.
func newQR(number string) (qrCode, error) {
	code, err := qr.Encode(number, qr.M, qr.Auto)
	if err != nil {
		return qrCode{}, fmt.Errorf("encode card number %s as a QR code: %w", number, err)
	}
	return qrCode{code: code, size: code.Bounds().Dx()}, nil
}

// dark reports whether the module at (x, y) is printed.
func (q qrCode) dark(x, y int) bool {
	return q.code.At(x, y) == color.Black
}
