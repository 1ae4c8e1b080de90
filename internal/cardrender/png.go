package cardrender

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// pngCanvas draws one face straight into a paletted image: a card face
// is a handful of flat colours and the text's blends of them, well within
// 256. One byte a pixel instead of four, and the PNG encoder skips its
// per-row filter search for paletted images, which together cut a face's
// cost to a fraction of a true-colour one. The palette grows in the order
// colours are first drawn, so the bytes are deterministic.
type pngCanvas struct {
	img    *image.Paletted
	index  map[color.RGBA]uint8
	blends map[blend]uint8
	err    error
}

// blend is a palette entry with text of a colour drawn over it at a
// coverage level.
type blend struct {
	under, over uint8
	level       uint8
}

// coverageLevels is how finely a glyph's edge is shaded: 16 levels, which
// cannot be told from 256 at 300 dpi and keep the palette small.
const coverageLevels = 16

func newPNGCanvas() *pngCanvas {
	return &pngCanvas{
		img:    image.NewPaletted(image.Rect(0, 0, WidthPx, HeightPx), make(color.Palette, 0, 256)),
		index:  map[color.RGBA]uint8{},
		blends: map[blend]uint8{},
	}
}

// px converts millimetres to the nearest pixel.
func px(mm float64) int { return int(math.Round(mm * DPI / 25.4)) }

// colour is c's palette index, adding it on first use.
func (p *pngCanvas) colour(c color.RGBA) uint8 {
	if i, ok := p.index[c]; ok {
		return i
	}
	if len(p.img.Palette) == 256 {
		p.err = errors.New("the face needs more than 256 colours")
		return 0
	}
	i := uint8(len(p.img.Palette))
	p.img.Palette = append(p.img.Palette, c)
	p.index[c] = i
	return i
}

func (p *pngCanvas) Fill(x, y, w, h float64, c color.RGBA) {
	// Both edges are rounded, not the width, so that neighbouring
	// rectangles (QR modules) meet without gaps or overlaps.
	r := image.Rect(px(x), px(y), px(x+w), px(y+h)).Intersect(p.img.Rect)
	idx := p.colour(c)
	for row := r.Min.Y; row < r.Max.Y; row++ {
		off := p.img.PixOffset(r.Min.X, row)
		line := p.img.Pix[off : off+r.Dx()]
		for i := range line {
			line[i] = idx
		}
	}
}

// Text draws s glyph by glyph as font.Drawer.DrawString does (kerning,
// advance), shading each pixel by its coverage in coverageLevels steps.
func (p *pngCanvas) Text(x, y, sizePt float64, bold bool, c color.RGBA, s string) {
	face := faceFor(sizePt, bold)
	over := p.colour(c)
	dot := fixed.P(px(x), px(y))
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			dot.X += face.Kern(prev, r)
		}
		dr, mask, mp, advance, ok := face.Glyph(dot, r)
		if !ok {
			continue
		}
		alpha, isAlpha := mask.(*image.Alpha)
		clipped := dr.Intersect(p.img.Rect)
		for py := clipped.Min.Y; py < clipped.Max.Y; py++ {
			for pxl := clipped.Min.X; pxl < clipped.Max.X; pxl++ {
				mx, my := mp.X+pxl-dr.Min.X, mp.Y+py-dr.Min.Y
				var a uint32
				if isAlpha { // the opentype faces' masks: read the byte
					a = uint32(alpha.AlphaAt(mx, my).A)
				} else {
					_, _, _, a16 := mask.At(mx, my).RGBA()
					a = a16 >> 8
				}
				level := uint8((a*(coverageLevels-1) + 127) / 255)
				if level == 0 {
					continue
				}
				i := p.img.PixOffset(pxl, py)
				p.img.Pix[i] = p.shade(p.img.Pix[i], over, level)
			}
		}
		dot.X += advance
		prev = r
	}
}

// shade is the palette index of colour over drawn on under at a coverage
// level (coverageLevels-1 is fully covered).
func (p *pngCanvas) shade(under, over, level uint8) uint8 {
	if level == coverageLevels-1 {
		return over
	}
	key := blend{under, over, level}
	if i, ok := p.blends[key]; ok {
		return i
	}
	u, o := p.img.Palette[under].(color.RGBA), p.img.Palette[over].(color.RGBA)
	a := uint32(level) * 255 / (coverageLevels - 1)
	mix := func(u, o uint8) uint8 { return uint8((uint32(u)*(255-a) + uint32(o)*a + 127) / 255) }
	i := p.colour(color.RGBA{R: mix(u.R, o.R), G: mix(u.G, o.G), B: mix(u.B, o.B), A: 0xff})
	p.blends[key] = i
	return i
}

func (p *pngCanvas) NewPage() {}

// faces caches the Go fonts' faces by size and weight: parsing and sizing a
// face costs more than drawing a card's few lines. Faces are not safe for
// concurrent use, so the cache is guarded and each face's use too (drawMu).
var (
	facesMu sync.Mutex
	faces   = map[faceKey]font.Face{}
	parsed  = map[bool]*opentype.Font{}
	drawMu  sync.Mutex
)

type faceKey struct {
	size float64
	bold bool
}

func faceFor(sizePt float64, bold bool) font.Face {
	facesMu.Lock()
	defer facesMu.Unlock()
	key := faceKey{sizePt, bold}
	if f, ok := faces[key]; ok {
		return f
	}
	f, err := newFace(sizePt, bold)
	if err != nil {
		// The fonts are compiled in; failing to parse them is a broken
		// build, not a runtime condition to recover from.
		panic(fmt.Sprintf("cardrender: Go fonts: %v", err))
	}
	faces[key] = f
	return f
}

func newFace(sizePt float64, bold bool) (font.Face, error) {
	otf, ok := parsed[bold]
	if !ok {
		data := goregular.TTF
		if bold {
			data = gobold.TTF
		}
		var err error
		if otf, err = opentype.Parse(data); err != nil {
			return nil, err
		}
		parsed[bold] = otf
	}
	return opentype.NewFace(otf, &opentype.FaceOptions{Size: sizePt, DPI: DPI, Hinting: font.HintingNone})
}

// pngEncoder compresses fast: a card face is mostly flat colour, and the
// station writes two per card. Its buffer pool keeps the compressor between
// encodes instead of allocating and clearing a new one each time.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderBuffers{}}

// encoderBuffers is a png.EncoderBufferPool over a sync.Pool.
type encoderBuffers struct{ pool sync.Pool }

func (b *encoderBuffers) Get() *png.EncoderBuffer {
	if buf, ok := b.pool.Get().(*png.EncoderBuffer); ok {
		return buf
	}
	return nil
}

func (b *encoderBuffers) Put(buf *png.EncoderBuffer) { b.pool.Put(buf) }

// renderPNG draws one face and encodes it.
func renderPNG(draw func(canvas)) ([]byte, error) {
	cv := newPNGCanvas()
	drawMu.Lock()
	draw(cv)
	drawMu.Unlock()
	if cv.err != nil {
		return nil, cv.err
	}
	var out bytes.Buffer
	if err := pngEncoder.Encode(&out, cv.img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
