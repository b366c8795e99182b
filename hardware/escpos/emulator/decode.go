// Package emulator is a receipt printer in software, for tests and demos:
// it takes raw jobs on TCP (port 9100 style), answers DLE EOT, can run out
// of paper, and renders what it received as text and as a PNG. Decode
// turns ESC/POS bytes into a simple page model.
package emulator

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"stacks/hardware/escpos"
)

// Kind is what a block of a page is.
type Kind int

// Kinds of blocks.
const (
	TextLine Kind = iota
	Barcode       // Code 128
	QRCode
	Cut
)

// Block is one printed thing: a line of text, a barcode, a QR code, a cut.
type Block struct {
	Kind Kind
	// Text is the line (TextLine) or the data (Barcode, QRCode).
	Text  string
	Bold  bool
	Width int // character width multiplier (1-8)
	// Height is the character height multiplier (TextLine), or the
	// barcode's height in dots.
	Height int
	Align  escpos.Align
	HRI    escpos.HRI // Barcode
	Module int        // Barcode module width, QR module size, in dots
	EC     byte       // QRCode: 48-51
}

// Page is what a stream of commands printed.
type Page struct {
	Blocks []Block
	// Unknown lists commands the decoder did not know (skipped).
	Unknown []string
}

// codePages are the tables ESC t selects that the emulator knows.
var codePages = map[byte]*charmap.Charmap{0: charmap.CodePage437, 2: charmap.CodePage850, 16: charmap.Windows1252, 19: charmap.CodePage858}

type decoder struct {
	page                  Page
	cm                    *charmap.Charmap
	bold                  bool
	w, h                  int
	align                 escpos.Align
	line                  []rune
	lineBold              bool
	barH, barW            int
	hri                   escpos.HRI
	qrModule              int
	qrEC                  byte
	qrData                string
	lineW, lineH, lineAln int
}

// Decode reads ESC/POS commands into a page. Status requests (DLE EOT)
// are skipped; unknown commands are listed in Page.Unknown.
func Decode(data []byte) *Page {
	d := &decoder{cm: charmap.CodePage437, w: 1, h: 1, barH: 162, barW: 3, qrModule: 3, qrEC: 48}
	i := 0
	need := func(n int) bool { return i+n <= len(data) }
	for i < len(data) {
		b := data[i]
		switch {
		case b == escpos.LF:
			d.flush(true)
			i++
		case b == escpos.DLE && need(3) && data[i+1] == escpos.EOT:
			i += 3
		case b == escpos.ESC && need(2):
			c := data[i+1]
			switch {
			case c == '@':
				d.flush(false)
				d.cm, d.bold, d.w, d.h, d.align = charmap.CodePage437, false, 1, 1, escpos.Left
				i += 2
			case (c == 't' || c == 'E' || c == 'a' || c == 'd') && need(3):
				n := data[i+2]
				switch c {
				case 't':
					if cm, ok := codePages[n]; ok {
						d.cm = cm
					} else {
						d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("ESC t %d", n))
					}
				case 'E':
					d.bold = n&1 == 1
				case 'a':
					d.align = escpos.Align(n % 48 % 3)
				case 'd':
					d.flush(false)
					for range n {
						d.flush(true)
					}
				}
				i += 3
			default:
				d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("ESC %#02x", c))
				i += 2
			}
		case b == escpos.GS && need(2):
			c := data[i+1]
			switch {
			case (c == '!' || c == 'h' || c == 'w' || c == 'H') && need(3):
				n := data[i+2]
				switch c {
				case '!':
					d.w, d.h = int(n>>4&7)+1, int(n&7)+1
				case 'h':
					d.barH = int(n)
				case 'w':
					d.barW = int(n)
				case 'H':
					d.hri = escpos.HRI(n % 48)
				}
				i += 3
			case c == 'V' && need(3):
				m := data[i+2]
				i += 3
				if (m == 65 || m == 66) && need(1) {
					i++
				}
				d.flush(false)
				d.page.Blocks = append(d.page.Blocks, Block{Kind: Cut})
			case c == 'k' && need(4) && data[i+2] == 73:
				n := int(data[i+3])
				if !need(4 + n) {
					d.page.Unknown = append(d.page.Unknown, "GS k truncated")
					i = len(data)
					continue
				}
				d.barcode(data[i+4 : i+4+n])
				i += 4 + n
			case c == '(' && need(5) && data[i+2] == 'k':
				n := int(data[i+3]) + int(data[i+4])*256
				if !need(5+n) || n < 2 {
					d.page.Unknown = append(d.page.Unknown, "GS ( k truncated")
					i = len(data)
					continue
				}
				d.qr(data[i+5 : i+5+n])
				i += 5 + n
			default:
				d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("GS %#02x", c))
				i += 2
			}
		case b < 0x20 || b == 0x7f:
			i++
		default:
			if len(d.line) == 0 {
				d.lineBold, d.lineW, d.lineH, d.lineAln = d.bold, d.w, d.h, int(d.align)
			}
			d.lineBold = d.lineBold || d.bold
			d.line = append(d.line, d.cm.DecodeByte(b))
			i++
		}
	}
	d.flush(false)
	return &d.page
}

// flush ends the current line; empty lines only when force is set (a
// line feed with nothing on the line is an empty line).
func (d *decoder) flush(force bool) {
	if len(d.line) == 0 && !force {
		return
	}
	blk := Block{Kind: TextLine, Text: string(d.line), Bold: d.lineBold, Width: d.lineW, Height: d.lineH, Align: escpos.Align(d.lineAln)}
	if len(d.line) == 0 {
		blk.Width, blk.Height, blk.Align = d.w, d.h, d.align
	}
	d.page.Blocks = append(d.page.Blocks, blk)
	d.line = d.line[:0]
}

// barcode reads GS k 73's data: "{B" then the data, "{{" for '{'.
func (d *decoder) barcode(b []byte) {
	d.flush(false)
	s := string(b)
	if !strings.HasPrefix(s, "{B") {
		d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("Code 128 without code set B: %q", s))
		return
	}
	s = strings.ReplaceAll(s[2:], "{{", "{")
	d.page.Blocks = append(d.page.Blocks, Block{Kind: Barcode, Text: s, Height: d.barH, Module: d.barW, HRI: d.hri, Align: d.align})
}

// qr reads one GS ( k function of the QR code symbol (cn 49).
func (d *decoder) qr(p []byte) {
	if p[0] != 49 {
		d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("GS ( k cn %d", p[0]))
		return
	}
	switch fn := p[1]; {
	case fn == 65:
	case fn == 67 && len(p) >= 3:
		d.qrModule = int(p[2])
	case fn == 69 && len(p) >= 3:
		d.qrEC = p[2]
	case fn == 80 && len(p) >= 3:
		d.qrData = string(p[3:])
	case fn == 81:
		d.flush(false)
		d.page.Blocks = append(d.page.Blocks, Block{Kind: QRCode, Text: d.qrData, Module: d.qrModule, EC: d.qrEC, Align: d.align})
	default:
		d.page.Unknown = append(d.page.Unknown, fmt.Sprintf("GS ( k fn %d", fn))
	}
}

// Columns is the width of the text rendering (font A on 80 mm paper).
const Columns = 42

// Text renders the page as lines of text: aligned text, a barcode as
// "||| Code 128 |||" and its human-readable line, a QR code as
// "[QR: data]", a cut as a line of '='.
func (p *Page) Text() string {
	var sb strings.Builder
	for _, b := range p.Blocks {
		switch b.Kind {
		case TextLine:
			s := b.Text
			if b.Width > 1 {
				s = spread(s, b.Width)
			}
			sb.WriteString(aligned(s, b.Align))
		case Barcode:
			if b.HRI == escpos.HRIAbove || b.HRI == escpos.HRIBoth {
				sb.WriteString(aligned(b.Text, b.Align) + "\n")
			}
			sb.WriteString(aligned("||| Code 128: "+b.Text+" |||", b.Align))
			if b.HRI == escpos.HRIBelow || b.HRI == escpos.HRIBoth {
				sb.WriteString("\n" + aligned(b.Text, b.Align))
			}
		case QRCode:
			sb.WriteString(aligned("[QR: "+b.Text+"]", b.Align))
		case Cut:
			sb.WriteString(strings.Repeat("=", Columns))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// spread writes a double-width line as the paper shows it, a letter and
// spaces.
func spread(s string, w int) string {
	var sb strings.Builder
	for _, r := range s {
		sb.WriteRune(r)
		sb.WriteString(strings.Repeat(" ", w-1))
	}
	return strings.TrimRight(sb.String(), " ")
}

func aligned(s string, a escpos.Align) string {
	n := len([]rune(s))
	if n == 0 || n >= Columns {
		return s
	}
	switch a {
	case escpos.Center:
		return strings.Repeat(" ", (Columns-n)/2) + s
	case escpos.Right:
		return strings.Repeat(" ", Columns-n) + s
	}
	return s
}
