package branch

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"stacks/replicate"
)

// The stored form of a last-writer-wins row's clocks (the `clocks` column
// of every table of lwwTables): which stamp last wrote each field.
//
// Until migration 100 it was a JSON object of field name to stamp text
// ({"barcode":"01a24235f45a000075df51f2ccd5e8f9",...}: ~430 bytes of a
// ~670-byte item row), although nearly every row's fields share one stamp,
// the op that created the row. It is now a BLOB:
//
//	0x01                      format version
//	{ uvarint mask, stamp }   one group per distinct stamp: the fields
//	                          (bit i = the field of ordinal i) it last wrote
//	{ 0x00, uvarint len, name, stamp }
//	                          a field this version does not know, by name
//	                          (kept from a JSON row by the migration)
//
// A stamp is its 16 bytes: the HLC and the origin, big-endian, the 32 hex
// digits of replicate.Stamp. Groups are ordered by how many fields they
// hold, most first (the row's own stamp: for most rows the only group),
// then by stamp, greatest first; so a set of clocks has one encoding and
// clocks compare byte for byte. A new item row's clocks are 19 bytes.
//
// Groups by bit mask beat a row stamp plus (field, stamp) exceptions on the
// demo library: a later write (a status change, a check-in's seen_at)
// usually writes several fields under one stamp, which one mask covers.
//
// Field ordinals are fixed per table in lwwTables (the names sorted when
// this layout was frozen, later fields appended), the same on every node
// and version. Legacy JSON text still decodes (a row written by an older
// node before the migration, or a column default '{}').

const clocksFormat = 0x01

// stampLen is a stamp's binary length: HLC and origin, 8 bytes each.
const stampLen = 16

func init() {
	// A replica in the old format and one in the new hash the same: the
	// state hash sees clocks as the JSON text the old format stored.
	replicate.RegisterHashForm("clocks", clocksHashForm)
}

// clocksHashForm is the form the state hash sees of a clocks value: the
// canonical JSON text of the old format (what an older node stores and
// hashes), whatever the encoding.
func clocksHashForm(table string, v any) (any, error) {
	b, ok := v.([]byte)
	if !ok || len(b) == 0 || b[0] != clocksFormat || lwwLayoutByTable[table] == nil {
		return v, nil // not clocks of ours: as stored
	}
	return ClocksJSON(table, b)
}

// lwwLayoutByTable finds a table's layout by its name.
var lwwLayoutByTable = func() map[string]*lwwLayout {
	m := make(map[string]*lwwLayout, len(lwwLayouts))
	for _, l := range lwwLayouts {
		m[l.t.name] = l
	}
	return m
}()

// DecodeClocks reads the stored clocks of a row of a last-writer-wins table
// (items, biblios, patrons, ...): field name to the stamp of its last
// write. stored is the column's value, binary or legacy JSON text.
func DecodeClocks(table string, stored any) (map[string]string, error) {
	l := lwwLayoutByTable[table]
	if l == nil {
		return nil, fmt.Errorf("branch: %s is not a last-writer-wins table", table)
	}
	var r lwwRow
	var err error
	switch x := stored.(type) {
	case []byte:
		err = l.decodeClocks(x, &r)
	case string:
		err = l.decodeClocks([]byte(x), &r)
	case nil:
		err = l.decodeClocks(nil, &r)
	default:
		err = fmt.Errorf("branch: %s clocks: a %T", table, stored)
	}
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(r.clocks)+len(r.extra))
	for k, v := range r.extra {
		m[k] = v
	}
	for i, st := range r.clocks {
		if st != "" {
			m[l.names[i]] = st
		}
	}
	return m, nil
}

// EarliestStamp is the least stamp in a row's stored clocks (the write
// that created the row), "" if it has none.
func EarliestStamp(table string, stored any) (string, error) {
	m, err := DecodeClocks(table, stored)
	if err != nil {
		return "", err
	}
	first := ""
	for _, st := range m {
		if first == "" || st < first {
			first = st
		}
	}
	return first, nil
}

// putStamp appends a stamp's 16 bytes.
func putStamp(b []byte, st string) ([]byte, error) {
	if len(st) != 2*stampLen {
		return nil, fmt.Errorf("bad stamp %q", st)
	}
	for i := 0; i < len(st); i++ {
		if c := st[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, fmt.Errorf("bad stamp %q", st)
		}
	}
	return hex.AppendDecode(b, []byte(st))
}

// encodeClocks writes a row's clocks (per field ordinal, "" where none;
// extra: fields this version does not know) in the binary form.
func (l *lwwLayout) encodeClocks(clocks []string, extra map[string]string) ([]byte, error) {
	type group struct {
		st   string
		mask uint64
	}
	var gs []group
	for i, st := range clocks {
		if st == "" {
			continue
		}
		j := slices.IndexFunc(gs, func(g group) bool { return g.st == st })
		if j < 0 {
			gs = append(gs, group{st: st})
			j = len(gs) - 1
		}
		gs[j].mask |= 1 << i
	}
	slices.SortFunc(gs, func(a, b group) int {
		if c := bits.OnesCount64(b.mask) - bits.OnesCount64(a.mask); c != 0 {
			return c
		}
		return strings.Compare(b.st, a.st)
	})
	b := make([]byte, 0, 1+len(gs)*(stampLen+2))
	b = append(b, clocksFormat)
	var err error
	for _, g := range gs {
		b = binary.AppendUvarint(b, g.mask)
		if b, err = putStamp(b, g.st); err != nil {
			return nil, fmt.Errorf("branch: %s clocks: %w", l.t.name, err)
		}
	}
	if len(extra) > 0 {
		names := make([]string, 0, len(extra))
		for k := range extra {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			b = append(b, 0)
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			if b, err = putStamp(b, extra[k]); err != nil {
				return nil, fmt.Errorf("branch: %s clocks: %s: %w", l.t.name, k, err)
			}
		}
	}
	return b, nil
}

var errClocksShort = errors.New("truncated")

// decodeClocks reads a row's stored clocks, binary or legacy JSON text,
// into r.clocks (per field ordinal) and r.extra.
func (l *lwwLayout) decodeClocks(stored []byte, r *lwwRow) error {
	r.clocks = make([]string, len(l.names))
	r.extra = nil
	if len(stored) == 0 {
		return nil
	}
	if stored[0] != clocksFormat {
		return l.decodeClocksJSON(stored, r)
	}
	b := stored[1:]
	for len(b) > 0 {
		mask, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("branch: %s clocks: bad field mask", l.t.name)
		}
		b = b[n:]
		name := ""
		if mask == 0 {
			ln, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < ln {
				return fmt.Errorf("branch: %s clocks: %w", l.t.name, errClocksShort)
			}
			name, b = string(b[n:n+int(ln)]), b[n+int(ln):]
		} else if mask>>len(l.names) != 0 {
			return fmt.Errorf("branch: %s clocks: field ordinal %d unknown to this version", l.t.name, 63-bits.LeadingZeros64(mask))
		}
		if len(b) < stampLen {
			return fmt.Errorf("branch: %s clocks: %w", l.t.name, errClocksShort)
		}
		st := hex.EncodeToString(b[:stampLen])
		b = b[stampLen:]
		if mask == 0 {
			if r.extra == nil {
				r.extra = map[string]string{}
			}
			r.extra[name] = st
			continue
		}
		for m := mask; m != 0; m &= m - 1 {
			r.clocks[bits.TrailingZeros64(m)] = st
		}
	}
	return nil
}

// decodeClocksJSON reads the legacy form, a JSON object of field to stamp.
func (l *lwwLayout) decodeClocksJSON(text []byte, r *lwwRow) error {
	s := &scan{b: text}
	pairs, err := s.pairs()
	if err != nil {
		var m map[string]string
		if err := json.Unmarshal(text, &m); err != nil {
			return fmt.Errorf("branch: %s clocks: %w", l.t.name, err)
		}
		pairs = pairs[:0]
		for k, v := range m {
			pairs = append(pairs, kv{k, v})
		}
	}
	for _, p := range pairs {
		st, ok := p.v.(string)
		if !ok && p.v != nil {
			return fmt.Errorf("branch: %s clocks: %s is not a stamp", l.t.name, p.k)
		}
		if i, ok := l.index[p.k]; ok {
			r.clocks[i] = st
			continue
		}
		if r.extra == nil {
			r.extra = map[string]string{}
		}
		r.extra[p.k] = st
	}
	return nil
}

// ClocksJSON is a row's stored clocks in the form the old format stored
// them and the state hash sees: the JSON object of field to stamp, keys
// sorted (as json.Marshal writes a map).
func ClocksJSON(table string, stored any) (string, error) {
	m, err := DecodeClocks(table, stored)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(m)
	return string(out), err
}

// LWWTables are the tables merged field by field, whose rows carry
// clocks, with their key columns.
func LWWTables() map[string][]string {
	m := make(map[string][]string, len(lwwLayoutByTable))
	for name, l := range lwwLayoutByTable {
		m[name] = slices.Clone(l.t.keys)
	}
	return m
}
