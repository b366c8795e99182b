package web

import (
	"fmt"
	"html"
	"html/template"
	"image/color"
	"net/http"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
)

// The digital library card shows the card number as a Code 128 barcode
// and a QR code, drawn as inline SVG (no image requests, crisp at any
// size, allowed by the CSP). Each encodes exactly the card number, which
// is what the desk's scanner and the kiosk's read or a person types.

type cardData struct {
	Code128 template.HTML
	QR      template.HTML
}

func (s *Server) card(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	card := rq.patron.Cardnumber
	lin, err := code128.Encode(card)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	q, err := qr.Encode(card, qr.M, qr.Auto)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	d := cardData{
		Code128: barcodeSVG(lin, 10, 2, 60, rq.p.T("card.barcode_label", card)),
		QR:      barcodeSVG(q, 4, 1, 0, rq.p.T("card.qr_label", card)),
	}
	s.render(w, r, rq, http.StatusOK, "card", rq.p.T("card.title"), d, nil, nil)
}

// barcodeSVG draws a barcode as SVG: quiet modules of white around it,
// each module modW user units wide; a 1D code is height units tall (a 2D
// code is square). One path holds every dark run, so the SVG stays small.
func barcodeSVG(bc barcode.Barcode, quiet, modW, height int, label string) template.HTML {
	b := bc.Bounds()
	two := bc.Metadata().Dimensions == 2
	rows := 1
	if two {
		rows = b.Dy()
	}
	rowH := height
	if two {
		rowH = modW
	}
	W := (b.Dx() + 2*quiet) * modW
	H := rows * rowH
	if two {
		H = (rows + 2*quiet) * modW
	}
	var p strings.Builder
	for y := 0; y < rows; y++ {
		for x := 0; x < b.Dx(); {
			if !dark(bc.At(b.Min.X+x, b.Min.Y+y)) {
				x++
				continue
			}
			start := x
			for x < b.Dx() && dark(bc.At(b.Min.X+x, b.Min.Y+y)) {
				x++
			}
			top := y * rowH
			if two {
				top = (y + quiet) * modW
			}
			fmt.Fprintf(&p, "M%d %dh%dv%dh-%dz", (start+quiet)*modW, top, (x-start)*modW, rowH, (x-start)*modW)
		}
	}
	l := html.EscapeString(label)
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" class="code">`+
		`<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, W, H, l, l, W, H, p.String()))
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}
