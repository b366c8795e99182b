package rfid

import (
	"context"
	"errors"
	"fmt"
)

// Security values of the AFI (application family identifier) that library
// security gates read: 0x07 on the shelf (secured), 0xC2 lent (unsecured).
const (
	AFISecured   = 0x07
	AFIUnsecured = 0xC2
)

// SecurityMode is how a library's gates see a tag: by its AFI, by its EAS
// bit, or both (written together, either one read).
type SecurityMode int

const (
	SecurityAFI SecurityMode = iota
	SecurityEAS
	SecurityBoth
)

// ParseSecurityMode reads "afi", "eas" or "both".
func ParseSecurityMode(s string) (SecurityMode, error) {
	switch s {
	case "afi", "":
		return SecurityAFI, nil
	case "eas":
		return SecurityEAS, nil
	case "both":
		return SecurityBoth, nil
	}
	return 0, fmt.Errorf("rfid: security mode %q: want afi, eas or both", s)
}

// TagInfo is what an inventory reports of one tag on the pad.
type TagInfo struct {
	UID    string // the tag's unique ID, hex
	DSFID  byte
	AFI    byte
	EAS    bool // the EAS bit is set (alarm on)
	Blocks int  // user memory blocks
	// BlockSize is bytes per block (4 on ISO 15693 library tags).
	BlockSize int
}

// Secured says whether a gate in mode m would alarm for the tag.
func (ti TagInfo) Secured(m SecurityMode) bool {
	switch m {
	case SecurityEAS:
		return ti.EAS
	case SecurityBoth:
		return ti.EAS || ti.AFI == AFISecured
	}
	return ti.AFI == AFISecured
}

// Reader is an RFID reader with a pad: what the kiosk and the desk need
// of one. Every method takes the tag's UID from Inventory.
type Reader interface {
	// Inventory lists the tags on the pad now, in a stable order.
	Inventory(ctx context.Context) ([]TagInfo, error)
	// ReadBlocks reads count blocks of user memory from block first.
	ReadBlocks(ctx context.Context, uid string, first, count int) ([]byte, error)
	// WriteBlocks writes data (whole blocks) from block first.
	WriteBlocks(ctx context.Context, uid string, first int, data []byte) error
	// SetSecurity secures (true) or unsecures a tag the way mode says.
	SetSecurity(ctx context.Context, uid string, secured bool) error
}

// ErrNoTag is returned for a UID that is not on the pad.
var ErrNoTag = errors.New("rfid: tag is not on the pad")

// OnPad is a tag on the pad and what it says.
type OnPad struct {
	Info TagInfo
	Tag  *Tag  // nil when Err is set
	Err  error // the tag could not be read or decoded
}

// ReadPad inventories r and reads and decodes every tag on it.
func ReadPad(ctx context.Context, r Reader) ([]OnPad, error) {
	infos, err := r.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]OnPad, 0, len(infos))
	for _, ti := range infos {
		p := OnPad{Info: ti}
		mem, err := r.ReadBlocks(ctx, ti.UID, 0, ti.Blocks)
		if err == nil {
			p.Tag, err = Decode(ti.DSFID, mem)
		}
		p.Err = err
		out = append(out, p)
	}
	return out, nil
}
