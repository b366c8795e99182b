// Package patronprefs is what a patron chooses for themselves: whether
// their reading history is kept (off by default; export, delete) and how
// they are sent notices (which, email or SMS, a digest or one by one, how
// many days in advance). It is a capability of branch (see
// branch.Capability): each preference is a last-writer-wins field of the
// patron, set by a replicated patronprefs.set op, so a choice made on the
// web or in an app holds on every node.
package patronprefs

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// KindSet sets some of a patron's preference fields.
const KindSet = "patronprefs.set" // setOp

type setOp struct {
	PatronID string            `json:"patron_id"`
	Fields   map[string]string `json:"fields"`
}

// The fields.
const (
	fieldMessaging = "messaging"       // JSON of domain.MessagingPrefs
	fieldHistory   = "reading_history" // "on" or "off"
	fieldSince     = "reading_history_since"
	fieldCleared   = "reading_history_cleared"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Capability is the patron preferences as a capability of branch.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("patronprefs", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{Name: "patronprefs", Kinds: []string{KindSet}, Apply: apply, Migrations: ms,
		StateTables: []string{"patron_prefs"}, Export: export, Erase: erase}
}

// apply keeps, per patron and field, the value of the op with the greatest
// stamp: idempotent and commutative.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		var p setOp
		if err := json.Unmarshal(op.Payload, &p); err != nil {
			return fmt.Errorf("op %s: patronprefs: bad op payload: %w", op.ID(), err)
		}
		for f, v := range p.Fields {
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_prefs (patron_id, field, value, stamp) VALUES (?,?,?,?)
				ON CONFLICT (patron_id, field) DO UPDATE SET value=excluded.value, stamp=excluded.stamp
				WHERE excluded.stamp > patron_prefs.stamp`, p.PatronID, f, v, string(op.Stamp())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Service reads and sets patrons' preferences over a branch service whose
// node runs Capability().
type Service struct {
	svc *branch.Service
}

// New returns the preferences of svc's patrons.
func New(svc *branch.Service) *Service { return &Service{svc: svc} }

func (s *Service) fields(ctx context.Context, patronID string) (map[string]string, error) {
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return nil, err
	}
	return readFields(ctx, s.svc.Read(), patronID)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func readFields(ctx context.Context, db querier, patronID string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT field, value FROM patron_prefs WHERE patron_id=?`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var f, v string
		if err := rows.Scan(&f, &v); err != nil {
			return nil, err
		}
		out[f] = v
	}
	return out, rows.Err()
}

// set emits one op setting fields of the patron's preferences, after
// check (if any) has seen the current ones inside the transaction.
func (s *Service) set(ctx context.Context, patronID string, fields func(t *branch.Txn) (map[string]string, error)) error {
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return err
	}
	return s.svc.Update(ctx, func(t *branch.Txn) error {
		fs, err := fields(t)
		if err != nil || len(fs) == 0 {
			return err
		}
		_, err = t.Emit(ctx, KindSet, setOp{PatronID: patronID, Fields: fs})
		return err
	})
}

// Messaging is the patron's messaging preferences, the defaults until
// they choose.
func (s *Service) Messaging(ctx context.Context, patronID string) (domain.MessagingPrefs, error) {
	fs, err := s.fields(ctx, patronID)
	if err != nil {
		return domain.MessagingPrefs{}, err
	}
	p := domain.DefaultMessagingPrefs()
	if v, ok := fs[fieldMessaging]; ok {
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return domain.MessagingPrefs{}, fmt.Errorf("patronprefs: stored messaging preferences: %w", err)
		}
	}
	if p.Notices == nil {
		p.Notices = []string{}
	}
	return p, nil
}

// Errors a patron may see.
var (
	errChannel = domain.Invalid("Notices go by email or sms.")
	errDays    = domain.Invalid("Days in advance must be from 0 to 14.")
)

// SetMessaging replaces the patron's messaging preferences.
func (s *Service) SetMessaging(ctx context.Context, patronID string, p domain.MessagingPrefs) (domain.MessagingPrefs, error) {
	pat, err := s.svc.Patron(ctx, patronID)
	if err != nil {
		return p, err
	}
	switch {
	case p.Channel != "email" && p.Channel != "sms":
		return p, errChannel
	case p.DaysInAdvance < 0 || p.DaysInAdvance > 14:
		return p, errDays
	case p.Channel == "sms" && pat.Phone == "":
		return p, domain.Invalid("Add a phone number to your details before choosing SMS.")
	case p.Channel == "email" && pat.Email == "" && len(p.Notices) > 0:
		return p, domain.Invalid("Add an email address to your details before choosing email.")
	}
	var notices []string
	for _, n := range p.Notices {
		if !slices.Contains(domain.Notices, n) {
			return p, domain.Invalid("There is no notice %q.", n)
		}
		if !slices.Contains(notices, n) {
			notices = append(notices, n)
		}
	}
	// Stored in the catalogue's order, so equal choices are equal bytes.
	p.Notices = []string{}
	for _, n := range domain.Notices {
		if slices.Contains(notices, n) {
			p.Notices = append(p.Notices, n)
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return p, err
	}
	err = s.set(ctx, patronID, func(*branch.Txn) (map[string]string, error) {
		return map[string]string{fieldMessaging: string(b)}, nil
	})
	return p, err
}

// SetReadingHistory turns the patron's reading history on (from now) or
// off. Turning it on when it is on changes nothing.
func (s *Service) SetReadingHistory(ctx context.Context, patronID string, on bool) error {
	return s.set(ctx, patronID, func(t *branch.Txn) (map[string]string, error) {
		fs, err := readFields(ctx, t, patronID)
		if err != nil {
			return nil, err
		}
		if (fs[fieldHistory] == "on") == on {
			return nil, nil
		}
		if on {
			return map[string]string{fieldHistory: "on", fieldSince: t.Stamp()}, nil
		}
		return map[string]string{fieldHistory: "off", fieldSince: ""}, nil
	})
}

// ClearReadingHistory deletes the patron's reading history so far: the
// loans returned until now are no longer shown or exported.
func (s *Service) ClearReadingHistory(ctx context.Context, patronID string) error {
	return s.set(ctx, patronID, func(t *branch.Txn) (map[string]string, error) {
		return map[string]string{fieldCleared: t.Stamp()}, nil
	})
}

// ReadingHistory is the patron's reading history, newest first: nothing
// while it is off; when on, the loans returned since it was turned on and
// since they last deleted it. It is read from the loan records, so it
// reaches back as far as they are kept before anonymisation.
func (s *Service) ReadingHistory(ctx context.Context, patronID string) (*domain.ReadingHistory, error) {
	fs, err := s.fields(ctx, patronID)
	if err != nil {
		return nil, err
	}
	h := &domain.ReadingHistory{Entries: []*domain.ReadingEntry{}}
	if fs[fieldHistory] != "on" {
		return h, nil
	}
	h.Enabled, h.Since = true, fs[fieldSince]
	since, cleared := fs[fieldSince], fs[fieldCleared]
	loans, err := s.svc.PatronLoans(ctx, patronID, true)
	if err != nil {
		return nil, err
	}
	for _, l := range loans {
		if l.ReturnedAt == "" || l.ReturnedAt < since || (cleared != "" && l.ReturnedAt <= cleared) {
			continue
		}
		h.Entries = append(h.Entries, &domain.ReadingEntry{CheckoutID: l.LoanID, ItemID: l.ItemID, Barcode: l.Barcode,
			Title: l.Title, IssuedAt: l.IssuedAt, ReturnedAt: l.ReturnedAt})
	}
	slices.SortStableFunc(h.Entries, func(a, b *domain.ReadingEntry) int {
		switch {
		case a.ReturnedAt > b.ReturnedAt:
			return -1
		case a.ReturnedAt < b.ReturnedAt:
			return 1
		}
		return 0
	})
	return h, nil
}

// WriteCSV writes entries as CSV with a header row (domain.WriteReadingCSV).
func WriteCSV(w io.Writer, entries []*domain.ReadingEntry) error {
	return domain.WriteReadingCSV(w, entries)
}
