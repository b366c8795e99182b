// Package sip2 speaks the 3M Standard Interchange Protocol 2.00 (SIP2), the
// language of self-check kiosks: a codec for its messages, an ACS server
// that runs every transaction through the branch service, and a client for
// a kiosk (the self-check unit, SC).
package sip2

import (
	"errors"
	"fmt"
	"strings"
)

// Message codes of SIP2 2.00. Requests come from the kiosk (SC), responses
// from us (ACS).
const (
	BlockPatron      = "01"
	Checkin          = "09"
	CheckinResp      = "10"
	Checkout         = "11"
	CheckoutResp     = "12"
	Hold             = "15"
	HoldResp         = "16"
	ItemInfo         = "17"
	ItemInfoResp     = "18"
	ItemStatusUpdate = "19"
	ItemStatusResp   = "20"
	PatronStatus     = "23"
	PatronStatusResp = "24"
	PatronEnable     = "25"
	PatronEnableResp = "26"
	Renew            = "29"
	RenewResp        = "30"
	EndSession       = "35"
	EndSessionResp   = "36"
	FeePaid          = "37"
	FeePaidResp      = "38"
	PatronInfo       = "63"
	PatronInfoResp   = "64"
	RenewAll         = "65"
	RenewAllResp     = "66"
	Login            = "93"
	LoginResp        = "94"
	RequestSCResend  = "96"
	RequestACSResend = "97"
	ACSStatus        = "98"
	SCStatus         = "99"
)

// fixedLen is the length of each message's fixed-length part, after its
// two-character code.
var fixedLen = map[string]int{
	BlockPatron: 19, Checkin: 37, Checkout: 38, Hold: 19, ItemInfo: 18, ItemStatusUpdate: 18,
	PatronStatus: 21, PatronEnable: 18, Renew: 38, EndSession: 18, FeePaid: 25, PatronInfo: 31,
	RenewAll: 18, Login: 2, RequestACSResend: 0, SCStatus: 8,

	CheckinResp: 22, CheckoutResp: 22, HoldResp: 20, ItemInfoResp: 24, ItemStatusResp: 19,
	PatronStatusResp: 35, PatronEnableResp: 35, RenewResp: 22, EndSessionResp: 19, FeePaidResp: 19,
	PatronInfoResp: 59, RenewAllResp: 27, LoginResp: 1, RequestSCResend: 0, ACSStatus: 34,
}

// Known reports whether code is a SIP2 message this package can parse.
func Known(code string) bool { _, ok := fixedLen[code]; return ok }

// Field is one variable-length field: a two-character tag and its value.
type Field struct {
	Tag   string
	Value string
}

// Message is one SIP2 message.
type Message struct {
	Code   string
	Fixed  string  // the fixed-length part, after the code
	Fields []Field // variable-length fields in wire order, without AY/AZ
	// Seq is the sequence number (AY), 0-9, or -1 when absent.
	Seq int
	// Checksummed is true when the message carries (or is to carry) AZ.
	Checksummed bool
}

// Get returns the first value of tag and whether it is present.
func (m *Message) Get(tag string) (string, bool) {
	for _, f := range m.Fields {
		if f.Tag == tag {
			return f.Value, true
		}
	}
	return "", false
}

// Value returns the first value of tag, or "".
func (m *Message) Value(tag string) string { v, _ := m.Get(tag); return v }

// All returns every value of a repeatable tag.
func (m *Message) All(tag string) []string {
	var out []string
	for _, f := range m.Fields {
		if f.Tag == tag {
			out = append(out, f.Value)
		}
	}
	return out
}

// Add appends a field.
func (m *Message) Add(tag, value string) *Message {
	m.Fields = append(m.Fields, Field{tag, value})
	return m
}

// Errors of Decode.
var (
	ErrChecksum  = errors.New("sip2: bad checksum")
	ErrMalformed = errors.New("sip2: malformed message")
	ErrUnknown   = errors.New("sip2: unknown message type")
)

// Checksum is SIP2's error-detection checksum of b (every byte up to and
// including "AZ"): the two's complement of the 16-bit sum of the bytes, as
// four upper-case hex digits.
func Checksum(b []byte) string { return string(appendChecksum(make([]byte, 0, 4), b)) }

// appendChecksum appends the checksum of b to dst (b may alias dst).
func appendChecksum(dst, b []byte) []byte {
	var sum uint16
	for _, c := range b {
		sum += uint16(c)
	}
	sum = -sum
	const hex = "0123456789ABCDEF"
	return append(dst, hex[sum>>12], hex[sum>>8&0xf], hex[sum>>4&0xf], hex[sum&0xf])
}

// appendClean appends v made safe to put on the wire: no field delimiter
// ('|' becomes '/'), no terminators or other control characters (they
// become spaces). It works on bytes, so lengths (of fixed parts) are kept.
func appendClean(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '|':
			b = append(b, '/')
		case c < 0x20 || c == 0x7f:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

// Encode renders m without a terminator. When m.Checksummed, it ends with
// AY (if Seq >= 0) and AZ with the checksum.
func (m *Message) Encode() []byte { return m.AppendTo(nil) }

// AppendTo appends m's encoding (as Encode) to b.
func (m *Message) AppendTo(b []byte) []byte {
	start := len(b)
	b = append(b, m.Code...)
	b = appendClean(b, m.Fixed)
	for _, f := range m.Fields {
		b = append(b, f.Tag...)
		b = appendClean(b, f.Value)
		b = append(b, '|')
	}
	if m.Checksummed {
		if m.Seq >= 0 {
			b = append(b, 'A', 'Y', byte('0'+m.Seq%10))
		}
		b = append(b, 'A', 'Z')
		b = appendChecksum(b, b[start:])
	}
	return b
}

func (m *Message) String() string { return string(m.Encode()) }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Decode parses one message without its terminator. A message with AZ is
// checked: a wrong checksum is ErrChecksum (the caller answers 96). An
// unknown code is ErrUnknown, a fixed part too short ErrMalformed; in both
// cases the returned message has the code so it can be logged.
func Decode(line []byte) (*Message, error) {
	s := strings.TrimRight(string(line), "\r\n")
	m := &Message{Seq: -1}
	if len(s) < 2 {
		return m, fmt.Errorf("%w: %d bytes", ErrMalformed, len(s))
	}
	m.Code = s[:2]
	// The error-detection trailer: [AYn]AZxxxx at the very end.
	if n := len(s); n >= 8 && s[n-6:n-4] == "AZ" && isHex(s[n-4:]) {
		want := strings.ToUpper(s[n-4:])
		if Checksum([]byte(s[:n-4])) != want {
			return m, ErrChecksum
		}
		m.Checksummed = true
		s = s[:n-6]
		if k := len(s); k >= 5 && s[k-3:k-1] == "AY" && s[k-1] >= '0' && s[k-1] <= '9' {
			m.Seq = int(s[k-1] - '0')
			s = s[:k-3]
		}
	}
	fl, ok := fixedLen[m.Code]
	if !ok {
		return m, fmt.Errorf("%w %q", ErrUnknown, m.Code)
	}
	if len(s) < 2+fl {
		return m, fmt.Errorf("%w: %s needs %d fixed characters, got %d", ErrMalformed, m.Code, fl, len(s)-2)
	}
	m.Fixed = s[2 : 2+fl]
	if strings.IndexByte(m.Fixed, '|') >= 0 {
		return m, fmt.Errorf("%w: a field delimiter in the fixed part of %s", ErrMalformed, m.Code)
	}
	rest := s[2+fl:]
	for rest != "" {
		i := strings.IndexByte(rest, '|')
		part := rest
		if i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if part == "" {
			continue // a stray delimiter
		}
		if len(part) < 2 {
			return m, fmt.Errorf("%w: field %q has no tag", ErrMalformed, part)
		}
		m.Fields = append(m.Fields, Field{Tag: part[:2], Value: part[2:]})
	}
	return m, nil
}
