package notify

import (
	"strings"
	"unicode/utf16"
)

// SMS encodings.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsmBasic is the GSM 03.38 default alphabet (one septet each); gsmExt the
// extension table (two septets: the escape and the character).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "\f^{}\\[~]|€"
)

var gsmBasicSet, gsmExtSet = runeSet(gsmBasic), runeSet(gsmExt)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// smsUnits is how text is encoded and how many units it takes: septets in
// GSM-7 when every character is in the GSM alphabet (the extension table
// counts two), else UTF-16 code units in UCS-2.
func smsUnits(text string) (encoding string, units int) {
	for _, r := range text {
		switch {
		case gsmBasicSet[r]:
			units++
		case gsmExtSet[r]:
			units += 2
		default:
			return EncodingUCS2, len(utf16.Encode([]rune(text)))
		}
	}
	return EncodingGSM7, units
}

// Segment sizes: one message alone, and each part of a concatenated one
// (the user data header takes the rest).
const (
	gsmSingle, gsmPart   = 160, 153
	ucs2Single, ucs2Part = 70, 67
)

// SMSSegments is how many segments text takes and in which encoding.
func SMSSegments(text string) (encoding string, segments int) {
	enc, units := smsUnits(text)
	single, part := gsmSingle, gsmPart
	if enc == EncodingUCS2 {
		single, part = ucs2Single, ucs2Part
	}
	if units <= single {
		return enc, 1
	}
	return enc, (units + part - 1) / part
}

// splitSMS cuts text into the segments of a concatenated SMS, never
// inside a character (nor between an escape and its character, nor a
// surrogate pair).
func splitSMS(text string) []string {
	enc, n := SMSSegments(text)
	if n == 1 {
		return []string{text}
	}
	part := gsmPart
	if enc == EncodingUCS2 {
		part = ucs2Part
	}
	var out []string
	var cur strings.Builder
	used := 0
	for _, r := range text {
		w := 1
		switch {
		case enc == EncodingUCS2 && r > 0xFFFF:
			w = 2
		case enc == EncodingGSM7 && gsmExtSet[r]:
			w = 2
		}
		if used+w > part {
			out = append(out, cur.String())
			cur.Reset()
			used = 0
		}
		cur.WriteRune(r)
		used += w
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
