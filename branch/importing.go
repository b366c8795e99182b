package branch

import (
	"context"
	"encoding/json"
	"fmt"

	"stacks/branch/domain"
	"stacks/replicate"
)

// The commands below let a capability (branch/imports) add and replace
// titles and copies inside its own command transaction, so that a batch of
// imported records, their copies and the capability's own ops commit
// together or not at all. They emit the core's ops, so imported titles
// and copies replicate like any other.
//
// An OpBatch gathers them and emits them together (replicate.Tx.EmitBatch):
// one multi-row insert into the log and one pass of the one applier
// (Applier.ApplyBatch) for the whole batch, as a batch of replicated ops is
// folded, instead of a batch of one per op. Its ops are not applied until
// Emit, so reads in the transaction do not see them: what a check needs of
// the batch's own earlier records (a title it adds, a barcode it uses) the
// caller tracks itself.

// OpBatch is the ops of one command, emitted together by Emit.
type OpBatch struct {
	t   *Txn
	ops []replicate.Op
	dec []any // per op: what DecodeBatch makes of its payload, or nil (localWrite)
}

// NewBatch starts a batch of ops in t.
func (t *Txn) NewBatch() *OpBatch { return &OpBatch{t: t} }

// Len is how many ops the batch holds.
func (b *OpBatch) Len() int { return len(b.ops) }

// Truncate drops the ops queued after the first n, e.g. those of a record
// refused half way.
func (b *OpBatch) Truncate(n int) {
	if n < len(b.ops) {
		b.ops, b.dec = b.ops[:n], b.dec[:n]
	}
}

// Add queues an op of kind, made by the command's actor through its
// channel, and returns its stamp: the stamp its field writes will carry.
func (b *OpBatch) Add(kind string, payload any) (replicate.Stamp, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("branch: encode %s: %w", kind, err)
	}
	if policyKinds[kind] {
		b.t.t.forgetPolicy()
	}
	hlc := b.t.t.Clock().Now()
	a := b.t.t.actor
	b.ops = append(b.ops, replicate.Op{HLC: hlc, Kind: kind, Payload: raw, Actor: a.ID, Channel: string(a.Channel)})
	var dec any
	if p, ok := payload.(fieldsOp); ok {
		dec = localWrite(kind, p)
	}
	b.dec = append(b.dec, dec)
	return replicate.MakeStamp(hlc, b.t.t.Node()), nil
}

// AddBiblio queues a new title and returns its ID and the stamp of the op
// that adds it.
func (b *OpBatch) AddBiblio(nb domain.NewBiblio) (string, replicate.Stamp, error) {
	if err := nb.Normalise(); err != nil {
		return "", "", err
	}
	id := b.t.t.s.newID(b.t.t.now)
	st, err := b.Add(KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: biblioFields(&nb)})
	return id, st, err
}

// SetBiblio queues a write of the descriptive fields of an existing title
// (the caller has read it), leaving out the fields named in keep, and
// returns the op's stamp; with every field kept it queues nothing and
// returns "".
func (b *OpBatch) SetBiblio(id string, nb domain.NewBiblio, keep []string) (replicate.Stamp, error) {
	if err := nb.Normalise(); err != nil {
		return "", err
	}
	fields := biblioFields(&nb)
	for _, k := range keep {
		delete(fields, k)
	}
	if len(fields) == 0 {
		return "", nil
	}
	return b.Add(KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": id}, Fields: fields})
}

// AddItem queues a copy of ni.BiblioID and returns its new ID. It checks
// what needs no reading (the barcode's form, the call number, the price,
// the properties); the caller has checked that the title exists or is
// added earlier in the batch, that the library and the item type exist
// and that no copy has the barcode, in the store or in the batch.
func (b *OpBatch) AddItem(ni domain.NewItem) (string, error) {
	if err := checkCode("barcode", ni.Barcode); err != nil {
		return "", err
	}
	if ni.HomeBranch == "" {
		ni.HomeBranch = b.t.t.s.cfg.Branch
	}
	if ni.PriceCents < 0 {
		return "", domain.Invalid("A price cannot be negative.")
	}
	if err := domain.CheckText("Call number", ni.CallNumber, 100); err != nil {
		return "", err
	}
	if err := checkItemProperties(ni.Properties); err != nil {
		return "", err
	}
	id := b.t.t.s.newID(b.t.t.now)
	_, err := b.Add(KindItemSet, fieldsOp{Key: map[string]any{"item_id": id}, Fields: newItemFields(ni)})
	return id, err
}

// Emit appends and applies the batch's ops, in the order queued, and
// empties it. An error fails the command: nothing of it is kept.
func (b *OpBatch) Emit(ctx context.Context) error {
	ops, dec := b.ops, b.dec
	b.ops, b.dec = nil, nil
	_, err := b.t.t.EmitBatchDecoded(ctx, ops, dec)
	return err
}

// Biblio reads a title as t sees it.
func (t *Txn) Biblio(ctx context.Context, id string) (*domain.Biblio, error) {
	return getBiblio(ctx, t.t, id)
}

// DefaultBranch is the library this node serves.
func (t *Txn) DefaultBranch() string { return t.t.s.cfg.Branch }
