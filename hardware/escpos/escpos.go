// Package escpos speaks to receipt printers in Epson's ESC/POS: an encoder
// of the commands we print with (initialise, code page, bold, sizes,
// alignment, Code 128, QR codes, paper cut), the printers' status through
// DLE EOT, and drivers for raw TCP (port 9100) and device files (USB or
// serial). It links no cgo, so the kiosk can use it; the durable spool is
// in the subpackage spool.
package escpos

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Control bytes.
const (
	ESC = 0x1b
	GS  = 0x1d
	DLE = 0x10
	EOT = 0x04
	LF  = 0x0a
)

// CodePage is a character code table a printer selects with ESC t n.
type CodePage struct {
	Name string
	// N is ESC t's n for the table (Epson's numbering).
	N   byte
	Map *charmap.Charmap
}

// PC858 is Epson's table 19: PC850 (Multilingual Latin 1) with the euro
// sign at 0xD5. It has every letter of English and Finnish (ä ö å).
var PC858 = CodePage{Name: "PC858", N: 19, Map: charmap.CodePage858}

// WPC1252 is Epson's table 16, Windows Latin 1, with the euro at 0x80.
var WPC1252 = CodePage{Name: "WPC1252", N: 16, Map: charmap.Windows1252}

// CodePages are the tables the encoder knows, by name.
var CodePages = map[string]CodePage{PC858.Name: PC858, WPC1252.Name: WPC1252}

// Align is a justification for ESC a.
type Align byte

// Justifications.
const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// HRI is where a barcode's human-readable text goes (GS H).
type HRI byte

// HRI positions.
const (
	HRINone  HRI = 0
	HRIAbove HRI = 1
	HRIBelow HRI = 2
	HRIBoth  HRI = 3
)

// ECLevel is a QR code's error correction level.
type ECLevel byte

// QR error correction levels, as GS ( k function 169 takes them.
const (
	ECLow      ECLevel = 48 // L, about 7% restorable
	ECMedium   ECLevel = 49 // M, 15%
	ECQuartile ECLevel = 50 // Q, 25%
	ECHigh     ECLevel = 51 // H, 30%
)

// Encoder builds a stream of ESC/POS commands. Errors of input (a barcode
// too long) are kept and reported by Bytes; text is never refused: a
// character without a byte in the code page prints as '?'.
type Encoder struct {
	cp  CodePage
	buf bytes.Buffer
	err error
}

// New returns an encoder whose text is in cp.
func New(cp CodePage) *Encoder {
	if cp.Map == nil {
		cp = PC858
	}
	return &Encoder{cp: cp}
}

// Bytes returns the commands so far, or the first error of input.
func (e *Encoder) Bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

func (e *Encoder) raw(b ...byte) *Encoder { e.buf.Write(b); return e }

// Init resets the printer (ESC @) and selects the encoder's code page
// (ESC t n).
func (e *Encoder) Init() *Encoder {
	return e.raw(ESC, '@', ESC, 't', e.cp.N)
}

// Text writes s in the code page. Line feeds pass through; other control
// characters are dropped (they would be commands); a character the code
// page lacks becomes '?'.
func (e *Encoder) Text(s string) *Encoder {
	for _, r := range s {
		switch {
		case r == '\n':
			e.buf.WriteByte(LF)
		case r == utf8.RuneError, r < 0x20, r == 0x7f:
			continue
		case r < 0x80:
			e.buf.WriteByte(byte(r))
		default:
			if b, ok := e.cp.Map.EncodeRune(r); ok {
				e.buf.WriteByte(b)
			} else {
				e.buf.WriteByte('?')
			}
		}
	}
	return e
}

// Line writes s and a line feed.
func (e *Encoder) Line(s string) *Encoder { return e.Text(s).raw(LF) }

// Bold turns emphasis on or off (ESC E n).
func (e *Encoder) Bold(on bool) *Encoder { return e.raw(ESC, 'E', bit(on)) }

// Size sets the character size (GS ! n): width and height multipliers 1-8.
func (e *Encoder) Size(width, height int) *Encoder {
	width, height = clamp(width, 1, 8), clamp(height, 1, 8)
	return e.raw(GS, '!', byte((width-1)<<4|(height-1)))
}

// Align sets the justification (ESC a n).
func (e *Encoder) Align(a Align) *Encoder { return e.raw(ESC, 'a', byte(a)) }

// Feed prints and feeds n lines (ESC d n).
func (e *Encoder) Feed(n int) *Encoder { return e.raw(ESC, 'd', byte(clamp(n, 0, 255))) }

// Code128 prints data as a Code 128 barcode in code set B (GS k 73 with
// the "{B" prefix) after setting its height in dots (GS h), its module
// width (GS w, 2-6) and where its text goes (GS H). A '{' in data is
// sent as "{{", as code set B wants.
func (e *Encoder) Code128(data string, height, width int, hri HRI) *Encoder {
	var d []byte
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c < 0x20 || c > 0x7e {
			e.fail(fmt.Errorf("escpos: Code 128 set B cannot carry byte %#x of %q", c, data))
			return e
		}
		if c == '{' {
			d = append(d, '{')
		}
		d = append(d, c)
	}
	if len(data) == 0 || len(d)+2 > 255 {
		e.fail(fmt.Errorf("escpos: Code 128 data of %d bytes (want 1-253)", len(d)))
		return e
	}
	e.raw(GS, 'h', byte(clamp(height, 1, 255)))
	e.raw(GS, 'w', byte(clamp(width, 2, 6)))
	e.raw(GS, 'H', byte(hri))
	e.raw(GS, 'k', 73, byte(len(d)+2), '{', 'B')
	e.buf.Write(d)
	return e
}

// QR prints data as a model 2 QR code: GS ( k functions 165 (model),
// 167 (module size, 1-16 dots), 169 (error correction), 180 (store the
// data) and 181 (print it).
func (e *Encoder) QR(data string, module int, ec ECLevel) *Encoder {
	if len(data) == 0 || len(data) > 7089 {
		e.fail(fmt.Errorf("escpos: QR data of %d bytes (want 1-7089)", len(data)))
		return e
	}
	if ec < ECLow || ec > ECHigh {
		e.fail(fmt.Errorf("escpos: QR error correction %d (want 48-51)", ec))
		return e
	}
	e.raw(GS, '(', 'k', 4, 0, 49, 65, 50, 0)
	e.raw(GS, '(', 'k', 3, 0, 49, 67, byte(clamp(module, 1, 16)))
	e.raw(GS, '(', 'k', 3, 0, 49, 69, byte(ec))
	n := len(data) + 3
	e.raw(GS, '(', 'k', byte(n%256), byte(n/256), 49, 80, 48)
	e.buf.WriteString(data)
	return e.raw(GS, '(', 'k', 3, 0, 49, 81, 48)
}

// Cut feeds the paper to the cutter plus n dots and cuts it, partially
// (GS V 66 n) or fully (GS V 65 n).
func (e *Encoder) Cut(full bool, n int) *Encoder {
	m := byte(66)
	if full {
		m = 65
	}
	return e.raw(GS, 'V', m, byte(clamp(n, 0, 255)))
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
