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
		return nil, err
	}
	if len(recs) > domain.ImportMaxRecords {
		return nil, domain.Invalid("At most %d records per batch, not %d.", domain.ImportMaxRecords, len(recs))
	}
	if opts.DryRun {
		b := &batch{opts: opts, q: s.svc.Read(), seen: map[string]string{}}
		return b.run(ctx, recs, nil)
	}
	var out []domain.ImportResult
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
	opts domain.ImportOptions
	q    querier
	// seen maps the keys of titles added earlier in this batch (the
	// store has them too, except in a dry run) to their IDs.
	seen     map[string]string
	barcodes map[string]bool
	itemType string
	known    map[string]bool // exists answers for libraries and item types
	dryN     int
}

func (b *batch) run(ctx context.Context, recs []Record, t *branch.Txn) ([]domain.ImportResult, error) {
	out := make([]domain.ImportResult, 0, len(recs))
	b.barcodes = map[string]bool{}
	for _, rec := range recs {
		res := domain.ImportResult{Ordinal: rec.Ordinal, Offset: rec.Offset}
		if err := b.one(ctx, rec, t, &res); err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				return nil, err
			}
			res.Outcome, res.Error, res.Items, res.Warnings = domain.ImportFailed, de.Message, 0, nil
		}
		out = append(out, res)
	}
	return out, nil
}

// one imports one record. A *domain.Error means the record is refused and
// nothing of it was written (every check comes before the first op).
func (b *batch) one(ctx context.Context, rec Record, t *branch.Txn, res *domain.ImportResult) error {
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
	res.Outcome, res.MatchedBy = domain.ImportAdded, ""
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
// opts.Match order, then domain.ImportMatchRecord) that finds one; among several, the
// smallest ID. It reads the store once for all the keys (and once more
// for the ISBNs typed into biblios by hand).
func (b *batch) match(ctx context.Context, keys []string) (id, by string, err error) {
	rules := append(slices.Clip(b.opts.Match), domain.ImportMatchRecord)
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
		if rule(k) == domain.ImportMatchISBN {
			n := strings.TrimPrefix(k, domain.ImportMatchISBN+":")
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
		found[domain.ImportMatchISBN] = append(found[domain.ImportMatchISBN], ids...)
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
