package imports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/marc"
)

// Actions: what an import does with a record that matches a title.
// Records that match nothing are always added.
const (
	ActionSkip    = "skip"    // leave the matched title as it is
	ActionOverlay = "overlay" // replace the matched title's fields with the record's
	ActionAdd     = "add"     // add the record as a new title all the same
)

// Outcomes of one record.
const (
	Added    = "added"
	Overlaid = "overlaid"
	Skipped  = "skipped"
	Failed   = "error"
)

// MaxBatch is the most records one Import call takes.
const MaxBatch = 1000

// Options steer one import run.
type Options struct {
	// Match lists the rules to match by, in order (MatchISBN, MatchSystem,
	// MatchControl); empty means all three.
	Match []string `json:"match,omitempty"`
	// Action is ActionSkip (default), ActionOverlay or ActionAdd.
	Action string `json:"action,omitempty"`
	// DryRun matches and reports but writes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Items is how many copies to add to each added title that has no
	// holdings fields (952, 852); at Library, of ItemType.
	Items    int    `json:"items,omitempty"`
	Library  string `json:"library_id,omitempty"`
	ItemType string `json:"item_type_id,omitempty"`
}

// Record is one parsed MARC record of a file, with where it was found.
type Record struct {
	Ordinal int          `json:"ordinal"` // 1-based number in the file
	Offset  int64        `json:"offset"`  // byte offset in the file
	MARC    *marc.Record `json:"marc"`
}

// Result is what became of one record.
type Result struct {
	Ordinal   int    `json:"ordinal"`
	Offset    int64  `json:"offset"`
	Outcome   string `json:"outcome"`             // Added, Overlaid, Skipped or Failed
	BiblioID  string `json:"biblio_id,omitempty"` // the title added, overlaid or matched
	MatchedBy string `json:"matched_by,omitempty"`
	Items     int    `json:"items,omitempty"` // copies added
	Title     string `json:"title,omitempty"`
	Error     string `json:"error,omitempty"`
	// Warnings are what was left out of an imported record (a copy of
	// an unknown library, an unusable barcode).
	Warnings []string `json:"warnings,omitempty"`
}

// Service imports records into a branch service whose node runs
// Capability().
type Service struct {
	svc *branch.Service
}

// NewService returns the importer of svc.
func NewService(svc *branch.Service) *Service { return &Service{svc: svc} }

// Validate checks and completes the options.
func (o *Options) Validate() error {
	if o.Action == "" {
		o.Action = ActionSkip
	}
	if o.Action != ActionSkip && o.Action != ActionOverlay && o.Action != ActionAdd {
		return domain.Invalid("Unknown import action %q (add, overlay or skip).", o.Action)
	}
	if len(o.Match) == 0 {
		o.Match = []string{MatchISBN, MatchSystem, MatchControl}
	}
	for _, m := range o.Match {
		if m != MatchISBN && m != MatchSystem && m != MatchControl {
			return domain.Invalid("Unknown match rule %q (isbn, 035 or 001).", m)
		}
	}
	if o.Items < 0 || o.Items > 100 {
		return domain.Invalid("Copies per title must be 0 to 100, not %d.", o.Items)
	}
	return nil
}

// querier is what matching reads through: the command's transaction, or
// the read pool for a dry run.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Import matches and imports one batch of records in one transaction, as
// the actor in ctx. A record that cannot be imported (no title, an
// unknown library, a barcode in use) is reported as Failed and left out;
// the others commit together or, if the transaction fails, not at all.
func (s *Service) Import(ctx context.Context, opts Options, recs []Record) ([]Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(recs) > MaxBatch {
		return nil, domain.Invalid("At most %d records per batch, not %d.", MaxBatch, len(recs))
	}
	if opts.DryRun {
		b := &batch{opts: opts, q: s.svc.Read(), seen: map[string]string{}}
		return b.run(ctx, recs, nil)
	}
	var out []Result
	err := s.svc.Update(ctx, func(t *branch.Txn) error {
		b := &batch{opts: opts, q: t, seen: map[string]string{}}
		var err error
		out, err = b.run(ctx, recs, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batch is one Import call's state.
type batch struct {
	opts Options
	q    querier
	// seen maps the keys of titles added earlier in this batch (the
	// store has them too, except in a dry run) to their IDs.
	seen     map[string]string
	barcodes map[string]bool
	itemType string
	known    map[string]bool // exists answers for libraries and item types
	dryN     int
}

func (b *batch) run(ctx context.Context, recs []Record, t *branch.Txn) ([]Result, error) {
	out := make([]Result, 0, len(recs))
	b.barcodes = map[string]bool{}
	for _, rec := range recs {
		res := Result{Ordinal: rec.Ordinal, Offset: rec.Offset}
		if err := b.one(ctx, rec, t, &res); err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				return nil, err
			}
			res.Outcome, res.Error, res.Items, res.Warnings = Failed, de.Message, 0, nil
		}
		out = append(out, res)
	}
	return out, nil
}

// one imports one record. A *domain.Error means the record is refused and
// nothing of it was written (every check comes before the first op).
func (b *batch) one(ctx context.Context, rec Record, t *branch.Txn, res *Result) error {
	if rec.MARC == nil {
		return domain.Invalid("Record %d has no MARC data.", rec.Ordinal)
	}
	mb := rec.MARC.Biblio()
	res.Title = mb.Title
	nb := newBiblio(mb)
	if err := nb.Normalise(); err != nil {
		return err
	}
	keys := Keys(rec.MARC)
	id, by, err := b.match(ctx, keys)
	if err != nil {
		return err
	}
	res.MatchedBy = by
	if id != "" && b.opts.Action != ActionAdd {
		res.BiblioID = id
		if b.opts.Action == ActionSkip {
			res.Outcome = Skipped
			return nil
		}
		res.Outcome = Overlaid
		if t == nil {
			return nil
		}
		// The licence count is the library's, not the record's: keep it.
		cur, err := t.Biblio(ctx, id)
		if err != nil {
			return err
		}
		if cur.Licences > 0 && cur.Format == nb.Format {
			nb.Licences = cur.Licences
		}
		if err := t.SetBiblio(ctx, id, nb); err != nil {
			return err
		}
		_, err = t.Emit(ctx, KindKeys, keysOp{BiblioID: id, Keys: keys})
		return err
	}
	res.Outcome, res.MatchedBy = Added, ""
	items, err := b.items(ctx, rec.MARC, t, res)
	if err != nil {
		return err
	}
	if t == nil {
		b.dryN++
		id = fmt.Sprintf("dry-run-%d", b.dryN)
	} else {
		if id, err = t.AddBiblio(ctx, nb); err != nil {
			return err
		}
		if len(keys) > 0 {
			if _, err := t.Emit(ctx, KindKeys, keysOp{BiblioID: id, Keys: keys}); err != nil {
				return err
			}
		}
		for i, ni := range items {
			ni.BiblioID = id
			if ni.Barcode == "" {
				ni.Barcode = generatedBarcode(id, i+1)
			}
			if _, err := t.AddItem(ctx, ni); err != nil {
				return fmt.Errorf("imports: record %d: %w", rec.Ordinal, err)
			}
		}
	}
	for _, k := range keys {
		b.seen[k] = id
	}
	res.BiblioID, res.Items = id, len(items)
	return nil
}

// match finds the title a record's keys name, by the first rule (in
// opts.Match order, then MatchRecord) that finds one; among several, the
// smallest ID. It reads the store once for all the keys (and once more
// for the ISBNs typed into biblios by hand).
func (b *batch) match(ctx context.Context, keys []string) (id, by string, err error) {
	rules := append(slices.Clip(b.opts.Match), MatchRecord)
	found := map[string][]string{} // rule -> biblio IDs
	var args, forms []any
	for _, k := range keys {
		if !slices.Contains(rules, rule(k)) {
			continue
		}
		if v, ok := b.seen[k]; ok {
			found[rule(k)] = append(found[rule(k)], v)
		}
		args = append(args, k)
		if rule(k) == MatchISBN {
			n := strings.TrimPrefix(k, MatchISBN+":")
			forms = append(forms, n)
			if ten := ISBN10(n); ten != "" {
				forms = append(forms, ten)
			}
		}
	}
	if len(args) > 0 {
		rows, err := b.q.QueryContext(ctx, `SELECT match_key, biblio_id FROM biblio_match_keys WHERE match_key IN (`+
			placeholders(len(args))+`)`, args...)
		if err != nil {
			return "", "", err
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return "", "", err
			}
			found[rule(k)] = append(found[rule(k)], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", "", err
		}
	}
	if len(forms) > 0 {
		// Titles catalogued by hand carry their ISBN in biblios.isbn, as
		// typed: look for both its forms.
		ids, err := b.ids(ctx, `SELECT biblio_id FROM biblios WHERE isbn IN (`+placeholders(len(forms))+`)`, forms)
		if err != nil {
			return "", "", err
		}
		found[MatchISBN] = append(found[MatchISBN], ids...)
	}
	for _, r := range rules {
		if ids := found[r]; len(ids) > 0 {
			return slices.Min(ids), r, nil
		}
	}
	return "", "", nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func (b *batch) ids(ctx context.Context, q string, args []any) ([]string, error) {
	rows, err := b.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// newBiblio maps the catalogue summary of a record to a new title.
func newBiblio(mb marc.Biblio) domain.NewBiblio {
	nb := domain.NewBiblio{Title: mb.Title, Subtitle: mb.Subtitle, Authors: mb.Authors, Subjects: mb.Subjects,
		ISBN: mb.ISBN, Language: mb.Language, Format: mb.Format, Publisher: mb.Publisher, Year: mb.Year}
	if !slices.Contains(domain.Formats, nb.Format) {
		nb.Format = "other"
	}
	if nb.Year < 0 || nb.Year > 2200 {
		nb.Year = 0
	}
	return nb
}

// generatedBarcode is a barcode for a copy the record did not give one:
// unique because the title's ID is.
func generatedBarcode(biblioID string, n int) string {
	h := strings.ReplaceAll(biblioID, "-", "")
	return fmt.Sprintf("M%s-%d", h[len(h)-20:], n)
}
