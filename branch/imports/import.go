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
	"stacks/replicate"
)

// Record is one parsed MARC record of a file, with where it was found.
type Record struct {
	Ordinal int          `json:"ordinal"` // 1-based number in the file
	Offset  int64        `json:"offset"`  // byte offset in the file
	MARC    *marc.Record `json:"marc"`
}

// Service imports records into a branch service whose node runs
// Capability().
type Service struct {
	svc *branch.Service
}

// NewService returns the importer of svc.
func NewService(svc *branch.Service) *Service { return &Service{svc: svc} }

// querier is what matching reads through: the command's transaction, or
// the read pool for a dry run.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Import matches and imports one batch of records in one transaction, as
// the actor in ctx. A record that cannot be imported (no title, an
// unknown library, a barcode in use) is reported as domain.ImportFailed and left out;
// the others commit together or, if the transaction fails, not at all.
func (s *Service) Import(ctx context.Context, opts domain.ImportOptions, recs []Record) ([]domain.ImportResult, error) {
	if err := opts.Validate(); err != nil {
		passTurn(opts.Run, opts.Seq)
		return nil, err
	}
	if len(recs) > domain.ImportMaxRecords {
		passTurn(opts.Run, opts.Seq)
		return nil, domain.Invalid("At most %d records per batch, not %d.", domain.ImportMaxRecords, len(recs))
	}
	// What needs no database (each record's summary and match keys) is
	// done here, before the batch joins the single writer.
	preps := make([]prepared, len(recs))
	for i, rec := range recs {
		if rec.MARC != nil {
			preps[i] = prepared{mb: rec.MARC.Biblio(), keys: Keys(rec.MARC)}
		}
	}
	if opts.DryRun {
		b := &batch{opts: opts, q: s.svc.Read()}
		return b.run(ctx, recs, preps, nil)
	}
	done, err := awaitTurn(ctx, opts.Run, opts.Seq)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []domain.ImportResult
	err = s.svc.Update(ctx, func(t *branch.Txn) error {
		b := &batch{opts: opts, q: t}
		var err error
		out, err = b.run(ctx, recs, preps, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batch is one Import call's state.
type batch struct {
	opts domain.ImportOptions
	q    querier
	ob   *branch.OpBatch // the ops to emit; nil in a dry run
	// keys are the match keys of the titles the batch adds or overlays,
	// emitted as one op after them.
	keys []keysOp
	// seen maps the keys of titles added earlier in this batch to their
	// IDs; added holds those IDs (their ops are not applied until the
	// batch is emitted, so the store does not have them yet).
	seen  map[string]string
	added map[string]bool
	// stored and hand are what the store held before the batch: match
	// keys of imported titles, and ISBNs typed into biblios by hand, each
	// to the titles that have them; inUse the barcodes of the batch's
	// holdings fields that copies already have.
	stored, hand map[string][]string
	inUse        map[string]bool
	barcodes     map[string]bool // barcodes of copies added in this batch
	itemType     string
	known        map[string]bool // exists answers for libraries and item types
	dryN         int
}

// prepared is a record's catalogue summary and match keys.
type prepared struct {
	mb   marc.Biblio
	keys []string
}

// run imports recs: it reads what matching and checking need for the whole
// batch in a few queries, decides each record in turn (a refused record
// leaves no op behind) and emits every op of the batch together.
func (b *batch) run(ctx context.Context, recs []Record, preps []prepared, t *branch.Txn) ([]domain.ImportResult, error) {
	out := make([]domain.ImportResult, 0, len(recs))
	b.seen, b.added, b.barcodes = map[string]string{}, map[string]bool{}, map[string]bool{}
	if t != nil {
		b.ob = t.NewBatch()
	}
	if err := b.lookup(ctx, recs, preps); err != nil {
		return nil, err
	}
	for i, rec := range recs {
		res := domain.ImportResult{Ordinal: rec.Ordinal, Offset: rec.Offset}
		mark, kmark := 0, len(b.keys)
		if b.ob != nil {
			mark = b.ob.Len()
		}
		if err := b.one(ctx, rec, preps[i], t, &res); err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				return nil, err
			}
			if b.ob != nil {
				b.ob.Truncate(mark)
			}
			b.keys = b.keys[:kmark]
			res.Outcome, res.Error, res.Items, res.Warnings, res.Kept = domain.ImportFailed, de.Message, 0, nil, nil
		}
		out = append(out, res)
	}
	if b.ob != nil {
		if len(b.keys) > 0 {
			if _, err := b.ob.Add(KindKeys, keysBatch{Titles: b.keys}); err != nil {
				return nil, err
			}
		}
		if err := b.ob.Emit(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookup reads, for the whole batch, the titles its records' keys and
// ISBNs name and the barcodes of its holdings that are in use.
func (b *batch) lookup(ctx context.Context, recs []Record, preps []prepared) error {
	var keys, forms, barcodes []string
	for i, p := range preps {
		for _, k := range p.keys {
			keys = append(keys, k)
			if rule(k) == domain.ImportMatchISBN {
				n := strings.TrimPrefix(k, domain.ImportMatchISBN+":")
				forms = append(forms, n)
				if ten := marc.ISBN10(n); ten != "" {
					forms = append(forms, ten)
				}
			}
		}
		if recs[i].MARC == nil {
			continue
		}
		for _, tag := range []string{"952", "852"} {
			for _, f := range recs[i].MARC.Get(tag) {
				if bc := strings.TrimSpace(f.Sub('p')); bc != "" {
					barcodes = append(barcodes, bc)
				}
			}
		}
	}
	var err error
	if b.stored, err = b.pairs(ctx, `SELECT match_key, biblio_id FROM biblio_match_keys WHERE match_key IN (SELECT value FROM json_each(?))`, keys); err != nil {
		return err
	}
	// Titles catalogued by hand carry their ISBN in biblios.isbn, as
	// typed: look for both its forms.
	if b.hand, err = b.pairs(ctx, `SELECT isbn, biblio_id FROM biblios WHERE isbn IN (SELECT value FROM json_each(?))`, forms); err != nil {
		return err
	}
	used, err := b.pairs(ctx, `SELECT barcode, '' FROM items WHERE barcode IN (SELECT value FROM json_each(?))`, barcodes)
	if err != nil {
		return err
	}
	b.inUse = make(map[string]bool, len(used))
	for bc := range used {
		b.inUse[bc] = true
	}
	return nil
}

// pairs runs q over the set in, in one query, and maps the first column of
// its rows to the second.
func (b *batch) pairs(ctx context.Context, q string, in []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(in) == 0 {
		return out, nil
	}
	rows, err := b.q.QueryContext(ctx, q, replicate.JSONList(in))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = append(out[k], v)
	}
	return out, rows.Err()
}

// one imports one record. A *domain.Error means the record is refused;
// run then drops whatever ops it queued.
func (b *batch) one(ctx context.Context, rec Record, p prepared, t *branch.Txn, res *domain.ImportResult) error {
	if rec.MARC == nil {
		return domain.Invalid("Record %d has no MARC data.", rec.Ordinal)
	}
	res.Title = p.mb.Title
	nb := newBiblio(p.mb)
	if err := nb.Normalise(); err != nil {
		return err
	}
	keys := p.keys
	id, by := b.match(keys)
	res.MatchedBy = by
	if id != "" && b.opts.Action != domain.ImportActionAdd {
		res.BiblioID = id
		if b.opts.Action == domain.ImportActionSkip {
			res.Outcome = domain.ImportSkipped
			return nil
		}
		res.Outcome = domain.ImportOverlaid
		if t == nil {
			return nil
		}
		return b.overlay(ctx, t, id, nb, keys, res)
	}
	res.Outcome, res.MatchedBy = domain.ImportAdded, ""
	items, err := b.items(ctx, rec.MARC, t, res)
	if err != nil {
		return err
	}
	if t == nil {
		b.dryN++
		id = fmt.Sprintf("dry-run-%d", b.dryN)
	} else {
		var stamp replicate.Stamp
		if id, stamp, err = b.ob.AddBiblio(nb); err != nil {
			return err
		}
		b.keys = append(b.keys, keysOp{BiblioID: id, Keys: keys, Stamp: string(stamp)})
		for i, ni := range items {
			ni.BiblioID = id
			if ni.Barcode == "" {
				ni.Barcode = generatedBarcode(id, i+1)
			}
			if _, err := b.ob.AddItem(ni); err != nil {
				return fmt.Errorf("imports: record %d: %w", rec.Ordinal, err)
			}
		}
	}
	for _, k := range keys {
		b.seen[k] = id
	}
	b.added[id] = true
	for _, ni := range items {
		if ni.Barcode != "" {
			b.barcodes[ni.Barcode] = true
		}
	}
	res.BiblioID, res.Items = id, len(items)
	return nil
}

// overlay replaces the fields of title id with the record's. With
// ImportActionOverlay, a field whose last write was not an import's (its
// clock in biblios.clocks is not among the title's import stamps) was
// edited locally, or the title catalogued by hand, and is kept.
func (b *batch) overlay(ctx context.Context, t *branch.Txn, id string, nb domain.NewBiblio, keys []string, res *domain.ImportResult) error {
	var keep []string
	if !b.added[id] {
		cur, err := t.Biblio(ctx, id)
		if err != nil {
			return err
		}
		// The licence count is the library's, not the record's: keep it.
		if cur.Licences > 0 && cur.Format == nb.Format {
			nb.Licences = cur.Licences
		}
		if b.opts.Action == domain.ImportActionOverlay {
			if keep, err = localFields(ctx, t, id); err != nil {
				return err
			}
		}
	}
	stamp, err := b.ob.SetBiblio(id, nb, keep)
	if err != nil {
		return err
	}
	res.Kept = keep
	b.keys = append(b.keys, keysOp{BiblioID: id, Keys: keys, Stamp: string(stamp)})
	return nil
}

// localFields names the fields of title id whose last writer was not an
// import: each field's clock (the stamp of the op that last wrote it) is
// looked up among the stamps of the biblio.set ops imports wrote to the
// title (biblio_import_stamps, carried by imports.keys ops).
func localFields(ctx context.Context, t *branch.Txn, id string) ([]string, error) {
	var raw []byte
	if err := t.QueryRowContext(ctx, `SELECT clocks FROM biblios WHERE biblio_id=?`, id).Scan(&raw); err != nil {
		return nil, err
	}
	clocks, err := branch.DecodeClocks("biblios", raw)
	if err != nil {
		return nil, fmt.Errorf("imports: clocks of %s: %w", id, err)
	}
	rows, err := t.QueryContext(ctx, `SELECT stamp FROM biblio_import_stamps WHERE biblio_id=?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	imported := map[string]bool{}
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			return nil, err
		}
		imported[st] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var keep []string
	for f, st := range clocks {
		if !imported[st] {
			keep = append(keep, f)
		}
	}
	slices.Sort(keep)
	return keep, nil
}

// match finds the title a record's keys name, by the first rule (in
// opts.Match order, then domain.ImportMatchRecord) that finds one; among
// several, the smallest ID.
func (b *batch) match(keys []string) (id, by string) {
	rules := append(slices.Clip(b.opts.Match), domain.ImportMatchRecord)
	found := map[string][]string{} // rule -> biblio IDs
	for _, k := range keys {
		r := rule(k)
		if !slices.Contains(rules, r) {
			continue
		}
		if v, ok := b.seen[k]; ok {
			found[r] = append(found[r], v)
		}
		found[r] = append(found[r], b.stored[k]...)
		if r == domain.ImportMatchISBN {
			n := strings.TrimPrefix(k, domain.ImportMatchISBN+":")
			found[r] = append(found[r], b.hand[n]...)
			if ten := marc.ISBN10(n); ten != "" {
				found[r] = append(found[r], b.hand[ten]...)
			}
		}
	}
	for _, r := range rules {
		if ids := found[r]; len(ids) > 0 {
			return slices.Min(ids), r
		}
	}
	return "", ""
}

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
		ISBN: mb.ISBN, Language: mb.Language, Format: mb.Format, Publisher: mb.Publisher, Year: mb.Year,
		Series: mb.Series, Notes: mb.Notes, Audience: mb.Audience, ISSN: mb.ISSN, ISBNs: mb.ISBNs, SortTitle: mb.SortTitle}
	if len(nb.Notes) > domain.MaxNotes {
		nb.Notes = strings.ToValidUTF8(nb.Notes[:domain.MaxNotes], "")
	}
	if nb.SortTitle == nb.Title {
		nb.SortTitle = ""
	}
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
