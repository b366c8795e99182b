package rfid

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// SimPad is a simulated reader: a pad in memory that tests and the
// kiosk's demo put tags on and take them off. It keeps what is written to
// a tag, as a real tag would.
type SimPad struct {
	mode SecurityMode
	mu   sync.Mutex
	tags []*simTag
	next int
}

type simTag struct {
	info TagInfo
	mem  []byte
}

var _ Reader = (*SimPad)(nil)

// NewSimPad returns an empty pad whose SetSecurity works in mode.
func NewSimPad(mode SecurityMode) *SimPad { return &SimPad{mode: mode} }

// SimTag is a tag to put on a simulated pad.
type SimTag struct {
	UID     string // "": one is made up
	DSFID   byte
	Mem     []byte // user memory, a whole number of 4-byte blocks
	Secured bool
}

// Put lays a tag on the pad and returns its UID. A tag with the UID of
// one already there replaces it.
func (p *SimPad) Put(t SimTag) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.UID == "" {
		p.next++
		t.UID = fmt.Sprintf("E00401%010X", p.next)
	}
	mem := bytes.Clone(t.Mem)
	if n := len(mem) % 4; n != 0 {
		mem = append(mem, make([]byte, 4-n)...)
	}
	st := &simTag{info: TagInfo{UID: t.UID, DSFID: t.DSFID, Blocks: len(mem) / 4, BlockSize: 4}, mem: mem}
	st.secure(p.mode, t.Secured)
	for i, o := range p.tags {
		if o.info.UID == t.UID {
			p.tags[i] = st
			return t.UID
		}
	}
	p.tags = append(p.tags, st)
	return t.UID
}

// PutItem encodes tag in model f into 32 (Danish) or 64 (ISO 28560-2)
// bytes and puts it on the pad.
func (p *SimPad) PutItem(f Format, tag *Tag, secured bool) (string, error) {
	var mem []byte
	var err error
	var dsfid byte
	if f == FormatOID {
		mem, err = EncodeOID(tag, 64)
		dsfid = DSFID28560_2
	} else {
		mem, err = EncodeDanish(tag, 32)
	}
	if err != nil {
		return "", err
	}
	return p.Put(SimTag{DSFID: dsfid, Mem: mem, Secured: secured}), nil
}

// Remove takes the tag uid off the pad.
func (p *SimPad) Remove(uid string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.tags {
		if t.info.UID == uid {
			p.tags = append(p.tags[:i], p.tags[i+1:]...)
			return true
		}
	}
	return false
}

// Clear takes every tag off the pad.
func (p *SimPad) Clear() {
	p.mu.Lock()
	p.tags = nil
	p.mu.Unlock()
}

func (t *simTag) secure(m SecurityMode, on bool) {
	if m == SecurityAFI || m == SecurityBoth {
		t.info.AFI = AFIUnsecured
		if on {
			t.info.AFI = AFISecured
		}
	}
	if m == SecurityEAS || m == SecurityBoth {
		t.info.EAS = on
	}
}

func (p *SimPad) find(uid string) (*simTag, error) {
	for _, t := range p.tags {
		if t.info.UID == uid {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoTag, uid)
}

// Inventory lists the tags in the order they were put on the pad.
func (p *SimPad) Inventory(ctx context.Context) ([]TagInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]TagInfo, len(p.tags))
	for i, t := range p.tags {
		out[i] = t.info
	}
	return out, nil
}

// ReadBlocks reads blocks of a tag's memory.
func (p *SimPad) ReadBlocks(ctx context.Context, uid string, first, count int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, err := p.find(uid)
	if err != nil {
		return nil, err
	}
	if first < 0 || count < 0 || first+count > t.info.Blocks {
		return nil, fmt.Errorf("rfid: blocks %d-%d of %d", first, first+count, t.info.Blocks)
	}
	return bytes.Clone(t.mem[first*4 : (first+count)*4]), nil
}

// WriteBlocks writes whole blocks of a tag's memory.
func (p *SimPad) WriteBlocks(ctx context.Context, uid string, first int, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, err := p.find(uid)
	if err != nil {
		return err
	}
	if len(data)%4 != 0 || first < 0 || first*4+len(data) > len(t.mem) {
		return fmt.Errorf("rfid: write of %d bytes at block %d of %d", len(data), first, t.info.Blocks)
	}
	copy(t.mem[first*4:], data)
	return nil
}

// SetSecurity sets a tag's AFI and/or EAS bit.
func (p *SimPad) SetSecurity(ctx context.Context, uid string, secured bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, err := p.find(uid)
	if err != nil {
		return err
	}
	t.secure(p.mode, secured)
	return nil
}

// Mode is the pad's security mode.
func (p *SimPad) Mode() SecurityMode { return p.mode }
