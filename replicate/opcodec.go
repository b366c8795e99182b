package replicate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The op log stores an op's payload in one of these codecs, named in the
// row beside it (the ops table's codec column), so a stored payload never
// changes meaning: a new encoding or dictionary is a new codec number, and
// the old ones stay readable forever. The codec is local to a node's
// database: ops travel between nodes with their payloads decoded, so
// nodes with different codecs sync as before.
const (
	// CodecRaw is the payload's bytes as they are.
	CodecRaw = 0
	// CodecDict1 is a JSON payload with its keys and common code values
	// written as two-byte tokens of dictionary 1 (opdict1.go), UUIDs as 16
	// bytes, timestamps (2006-01-02T15:04:05.000Z) and dates (2006-01-02)
	// as varints. A payload is stored so only if it decodes back to exactly
	// its bytes (checked at encode time); otherwise it is stored raw.
	CodecDict1 = 1
)

const (
	tagToken = 0x01 // index into opDict1
	tagUUID  = 0x02 // 16 bytes: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lowercase hex)
	tagStamp = 0x03 // uvarint milliseconds since 1970: "2006-01-02T15:04:05.000Z"
	tagDate  = 0x04 // uvarint days since 1970: "2006-01-02"
	tagMax   = 0x04 // a payload with a byte <= tagMax is stored raw
)

const (
	stampLayout = "2006-01-02T15:04:05.000Z"
	dateLayout  = "2006-01-02"
)

var dict1Index = sync.OnceValue(func() map[string]byte {
	m := make(map[string]byte, len(opDict1))
	for i, s := range opDict1 {
		m[s] = byte(i)
	}
	return m
})

// encodePayload returns the stored form of payload and its codec.
func encodePayload(dst, payload []byte) ([]byte, int) {
	for _, c := range payload {
		if c <= tagMax {
			return append(dst, payload...), CodecRaw
		}
	}
	start := len(dst)
	out := encodeDict1(dst, payload)
	back, err := decodeDict1(nil, out[start:])
	if err != nil || !bytes.Equal(back, payload) || len(out)-start >= len(payload) {
		return append(dst[:start], payload...), CodecRaw
	}
	return out, CodecDict1
}

// decodePayload returns the payload stored as b in codec.
func decodePayload(codec int, b []byte) ([]byte, error) {
	switch codec {
	case CodecRaw:
		return b, nil
	case CodecDict1:
		return decodeDict1(make([]byte, 0, 2*len(b)+16), b)
	}
	return nil, fmt.Errorf("replicate: payload codec %d unknown to this version", codec)
}

func encodeDict1(dst, in []byte) []byte {
	idx := dict1Index()
	for i := 0; i < len(in); {
		if in[i] != '"' {
			dst = append(dst, in[i])
			i++
			continue
		}
		// A JSON string: find its closing quote.
		j := i + 1
		for j < len(in) && in[j] != '"' {
			if in[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(in) {
			return append(dst, in[i:]...)
		}
		s := in[i : j+1]
		if j+1 < len(in) && in[j+1] == ':' {
			if t, ok := idx[string(in[i:j+2])]; ok {
				dst = append(dst, tagToken, t)
				i = j + 2
				continue
			}
		}
		if t, ok := idx[string(s)]; ok {
			dst = append(dst, tagToken, t)
		} else if u, ok := parseUUID(s); ok {
			dst = append(dst, tagUUID)
			dst = append(dst, u[:]...)
		} else if ms, ok := parseStamp(s); ok {
			dst = binary.AppendUvarint(append(dst, tagStamp), ms)
		} else if d, ok := parseDate(s); ok {
			dst = binary.AppendUvarint(append(dst, tagDate), d)
		} else {
			dst = append(dst, s...)
		}
		i = j + 1
	}
	return dst
}

var errBadDict1 = errors.New("replicate: corrupt payload (codec 1)")

func decodeDict1(dst, in []byte) ([]byte, error) {
	for i := 0; i < len(in); {
		switch c := in[i]; c {
		case tagToken:
			if i+1 >= len(in) || int(in[i+1]) >= len(opDict1) {
				return nil, errBadDict1
			}
			dst = append(dst, opDict1[in[i+1]]...)
			i += 2
		case tagUUID:
			if i+17 > len(in) {
				return nil, errBadDict1
			}
			dst = appendUUID(dst, in[i+1:i+17])
			i += 17
		case tagStamp, tagDate:
			v, n := binary.Uvarint(in[i+1:])
			if n <= 0 || v > 1<<50 {
				return nil, errBadDict1
			}
			dst = append(dst, '"')
			if c == tagStamp {
				dst = time.UnixMilli(int64(v)).UTC().AppendFormat(dst, stampLayout)
			} else {
				dst = time.Unix(int64(v)*86400, 0).UTC().AppendFormat(dst, dateLayout)
			}
			dst = append(dst, '"')
			i += 1 + n
		case 0:
			return nil, errBadDict1
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// parseUUID reads a quoted lowercase UUID.
func parseUUID(s []byte) (u [16]byte, ok bool) {
	if len(s) != 38 || s[9] != '-' || s[14] != '-' || s[19] != '-' || s[24] != '-' {
		return u, false
	}
	k := 0
	for i := 1; i < 37; i++ {
		if s[i] == '-' && (i == 9 || i == 14 || i == 19 || i == 24) {
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 || s[i+1] == '-' {
			return u, false
		}
		u[k] = hi<<4 | lo
		k++
		i++
	}
	return u, k == 16
}

func appendUUID(dst, u []byte) []byte {
	dst = append(dst, '"')
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	return append(dst, '"')
}

func parseStamp(s []byte) (uint64, bool) {
	if len(s) != len(stampLayout)+2 || s[11] != 'T' {
		return 0, false
	}
	t, err := time.Parse(stampLayout, string(s[1:len(s)-1]))
	if err != nil || t.UnixMilli() < 0 {
		return 0, false
	}
	return uint64(t.UnixMilli()), true // the caller checks the round trip
}

func parseDate(s []byte) (uint64, bool) {
	if len(s) != len(dateLayout)+2 || s[5] != '-' {
		return 0, false
	}
	t, err := time.Parse(dateLayout, string(s[1:len(s)-1]))
	if err != nil || t.Unix() < 0 {
		return 0, false
	}
	return uint64(t.Unix() / 86400), true
}
