package emulator

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"stacks/hardware/escpos"
)

// Dots is the printable width of 80 mm paper at 203 dpi.
const Dots = 576

// glyph cell of basicfont.Face7x13, drawn in a 12x24 cell like font A.
const cellW, cellH = Dots / Columns, 24

// Image draws the page as the paper would look: text lines (sizes,
// alignment), Code 128 barcodes and QR codes as images.
func (p *Page) Image() image.Image {
	type part struct {
		img   image.Image
		align escpos.Align
	}
	var parts []part
	add := func(img image.Image, a escpos.Align) {
		if img != nil {
			parts = append(parts, part{img, a})
		}
	}
	for _, b := range p.Blocks {
		switch b.Kind {
		case TextLine:
			add(textImage(b.Text, b.Width, b.Height, b.Bold), b.Align)
		case Barcode:
			if b.HRI == escpos.HRIAbove || b.HRI == escpos.HRIBoth {
				add(textImage(b.Text, 1, 1, false), b.Align)
			}
			add(barcodeImage(b), b.Align)
			if b.HRI == escpos.HRIBelow || b.HRI == escpos.HRIBoth {
				add(textImage(b.Text, 1, 1, false), b.Align)
			}
		case QRCode:
			add(qrImage(b), b.Align)
		case Cut:
			cut := image.NewRGBA(image.Rect(0, 0, Dots, 9))
			draw.Draw(cut, cut.Bounds(), image.White, image.Point{}, draw.Src)
			for x := 0; x < Dots; x += 2 {
				cut.Set(x, 4, color.Gray{Y: 128})
			}
			add(cut, escpos.Left)
		}
	}
	h := 0
	for _, pt := range parts {
		h += pt.img.Bounds().Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, Dots, max(h, 1)))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	y := 0
	for _, pt := range parts {
		w := pt.img.Bounds().Dx()
		x := 0
		switch pt.align {
		case escpos.Center:
			x = max(0, (Dots-w)/2)
		case escpos.Right:
			x = max(0, Dots-w)
		}
		draw.Draw(out, image.Rect(x, y, x+w, y+pt.img.Bounds().Dy()), pt.img, pt.img.Bounds().Min, draw.Src)
		y += pt.img.Bounds().Dy()
	}
	return out
}

// WritePNG encodes the page's image.
func (p *Page) WritePNG(w io.Writer) error { return png.Encode(w, p.Image()) }

func textImage(s string, wmul, hmul int, bold bool) image.Image {
	runes := []rune(s)
	line := image.NewRGBA(image.Rect(0, 0, max(1, len(runes))*cellW, cellH))
	draw.Draw(line, line.Bounds(), image.White, image.Point{}, draw.Src)
	dr := font.Drawer{Dst: line, Src: image.Black, Face: basicfont.Face7x13}
	for i, r := range runes {
		for dx := 0; dx <= boolInt(bold); dx++ {
			dr.Dot = fixed.P(i*cellW+2+dx, 17)
			dr.DrawString(string(r))
		}
	}
	if wmul == 1 && hmul == 1 {
		return line
	}
	big := image.NewRGBA(image.Rect(0, 0, line.Bounds().Dx()*wmul, cellH*hmul))
	xdraw.NearestNeighbor.Scale(big, big.Bounds(), line, line.Bounds(), draw.Src, nil)
	return big
}

func barcodeImage(b Block) image.Image {
	bc, err := code128.Encode(b.Text)
	if err != nil {
		return nil
	}
	mod := max(b.Module, 1)
	w := bc.Bounds().Dx()*mod + 20*mod
	img, err := barcode.Scale(bc, bc.Bounds().Dx()*mod, max(b.Height, 1))
	if err != nil {
		return nil
	}
	out := image.NewRGBA(image.Rect(0, 0, w, img.Bounds().Dy()))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(10*mod, 0, 10*mod+img.Bounds().Dx(), img.Bounds().Dy()), img, image.Point{}, draw.Src)
	return out
}

func qrImage(b Block) image.Image {
	lvl := map[byte]qr.ErrorCorrectionLevel{48: qr.L, 49: qr.M, 50: qr.Q, 51: qr.H}[b.EC]
	code, err := qr.Encode(b.Text, lvl, qr.Auto)
	if err != nil {
		return nil
	}
	mod := max(b.Module, 1)
	side := (code.Bounds().Dx() + 8) * mod // four modules of quiet zone each side
	img, err := barcode.Scale(code, code.Bounds().Dx()*mod, code.Bounds().Dy()*mod)
	if err != nil {
		return nil
	}
	out := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(4*mod, 4*mod, 4*mod+img.Bounds().Dx(), 4*mod+img.Bounds().Dy()), img, image.Point{}, draw.Src)
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
