// Package digital is digital lending in Stacks: e-books, e-audiobooks and
// e-magazines lent under the licences a library buys (copies, users at
// once, an end date, a number of loans), with holds, renewals and
// automatic return. It is a capability of branch (see branch.Capability).
//
// A licence count must never be exceeded, so every digital decision
// (grant, return, renewal, hold, a licence added, the sweep of loans that
// ended) is made in one place, serially, against the state it holds: on a
// standalone appliance by its own command transaction; in a cluster by
// the central site's Raft state machine (a Decider of replicate/central),
// to which branches forward patrons' requests. The ops it emits replicate
// like any other.
package digital

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Op kinds.
const (
	KindLicence   = "digital.licence"    // licenceOp: a licence bought
	KindGrant     = "digital.grant"      // grantOp: a loan granted under a licence
	KindReturn    = "digital.return"     // returnOp: a loan ended (returned or expired)
	KindRenew     = "digital.renew"      // renewOp: a loan renewed
	KindHold      = "digital.hold"       // holdOp: a patron joins a title's queue
	KindHoldClose = "digital.hold_close" // holdCloseOp: a hold filled or cancelled
)

type licenceOp struct {
	LicenceID string `json:"licence_id"`
	BiblioID  string `json:"biblio_id"`
	Copies    int    `json:"copies"`
	Users     int    `json:"users"`
	MaxLoans  int    `json:"max_loans,omitempty"`
	ExpiresOn string `json:"expires_on,omitempty"`
	Note      string `json:"note,omitempty"`
	AddedAt   string `json:"added_at"`
}

type grantOp struct {
	LoanID    string `json:"loan_id"`
	BiblioID  string `json:"biblio_id"`
	LicenceID string `json:"licence_id"`
	PatronID  string `json:"patron_id"`
	GrantedAt string `json:"granted_at"`
	DueDate   string `json:"due_date"`
	HoldID    string `json:"hold_id,omitempty"`
}

type returnOp struct {
	LoanID     string `json:"loan_id"`
	ReturnedAt string `json:"returned_at"`
	Reason     string `json:"reason"`
}

type renewOp struct {
	RenewalID string `json:"renewal_id"`
	LoanID    string `json:"loan_id"`
	DueDate   string `json:"due_date"`
	RenewedAt string `json:"renewed_at"`
}

type holdOp struct {
	HoldID   string `json:"hold_id"`
	BiblioID string `json:"biblio_id"`
	PatronID string `json:"patron_id"`
	PlacedAt string `json:"placed_at"`
	// Seq orders the title's queue: holds are decided one at a time, so
	// each takes the next number.
	Seq int `json:"seq"`
}

type holdCloseOp struct {
	HoldID   string `json:"hold_id"`
	Status   string `json:"status"` // filled or cancelled
	LoanID   string `json:"loan_id,omitempty"`
	ClosedAt string `json:"closed_at"`
}

// Return reasons.
const (
	ReasonReturned = "returned"
	ReasonExpired  = "expired"
)

var holdRank = map[string]int{"waiting": 0, "filled": 1, "cancelled": 2}

//go:embed migrations/*.sql
var migrationFS embed.FS

// StateTables are the tables digital ops fold into, in hash order.
var StateTables = []string{"digital_licences", "digital_loans", "digital_renewals", "digital_holds"}

// Capability is digital lending as a capability of branch: hand it to
// branch.NewApplier, branch.Migrations and branch.Config.Capabilities.
func Capability() branch.Capability {
	ms, err := replicate.MigrationsFromFS("digital", migrationFS, "migrations")
	if err != nil {
		// The files are embedded at build time; a failure here is a build defect.
		panic(err)
	}
	return branch.Capability{
		Name:        "digital",
		Kinds:       []string{KindLicence, KindGrant, KindReturn, KindRenew, KindHold, KindHoldClose},
		Apply:       apply,
		Migrations:  ms,
		StateTables: StateTables,
		Export:      export,
		Availability: func(ctx context.Context, q replicate.Querier, today string, b *domain.Biblio, a *domain.Availability) error {
			if !b.Digital() {
				return nil
			}
			ls, err := licencesOf(ctx, q, b, today)
			if err != nil {
				return err
			}
			a.LicencesTotal, a.LicencesFree = counts(ls)
			return nil
		},
	}
}

// apply folds digital ops. Each is an insert or a monotone update keyed by
// the op's subject, so any order and any number of deliveries give the
// same rows: a loan's grant fields come from its grant, its return is the
// earliest; a hold's status only moves forward.
func apply(ctx context.Context, tx *replicate.Tx, ops []replicate.Op) error {
	for _, op := range ops {
		if err := applyOne(ctx, tx, op); err != nil {
			return fmt.Errorf("op %s: digital: %w", op.ID(), err)
		}
	}
	return nil
}

func applyOne(ctx context.Context, tx *replicate.Tx, op replicate.Op) error {
	var err error
	switch op.Kind {
	case KindLicence:
		var p licenceOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_licences (licence_id, biblio_id, copies, users, max_loans, expires_on, note, added_at)
				VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`, p.LicenceID, p.BiblioID, p.Copies, p.Users, p.MaxLoans, p.ExpiresOn, p.Note, p.AddedAt)
		}
	case KindGrant:
		var p grantOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_loans (loan_id, biblio_id, licence_id, patron_id, granted_at, due_date, hold_id)
				VALUES (?,?,?,?,?,?,?) ON CONFLICT(loan_id) DO UPDATE SET biblio_id=excluded.biblio_id, licence_id=excluded.licence_id,
				patron_id=excluded.patron_id, granted_at=excluded.granted_at, due_date=excluded.due_date, hold_id=excluded.hold_id`,
				p.LoanID, p.BiblioID, p.LicenceID, p.PatronID, p.GrantedAt, p.DueDate, p.HoldID)
		}
	case KindReturn:
		var p returnOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_loans (loan_id, returned_at, return_reason) VALUES (?,?,?)
				ON CONFLICT(loan_id) DO UPDATE SET
				return_reason=CASE WHEN returned_at='' OR excluded.returned_at<returned_at
					OR (excluded.returned_at=returned_at AND excluded.return_reason<return_reason) THEN excluded.return_reason ELSE return_reason END,
				returned_at=CASE WHEN returned_at='' OR excluded.returned_at<returned_at THEN excluded.returned_at ELSE returned_at END`,
				p.LoanID, p.ReturnedAt, p.Reason)
		}
	case KindRenew:
		var p renewOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_renewals (renewal_id, loan_id, due_date, renewed_at) VALUES (?,?,?,?)
				ON CONFLICT DO NOTHING`, p.RenewalID, p.LoanID, p.DueDate, p.RenewedAt)
		}
	case KindHold:
		var p holdOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_holds (hold_id, biblio_id, patron_id, placed_at, seq) VALUES (?,?,?,?,?)
				ON CONFLICT(hold_id) DO UPDATE SET biblio_id=excluded.biblio_id, patron_id=excluded.patron_id, placed_at=excluded.placed_at,
				seq=excluded.seq`, p.HoldID, p.BiblioID, p.PatronID, p.PlacedAt, p.Seq)
		}
	case KindHoldClose:
		var p holdCloseOp
		if err = json.Unmarshal(op.Payload, &p); err == nil {
			rank, ok := holdRank[p.Status]
			if !ok || rank == 0 {
				return fmt.Errorf("bad hold status %q", p.Status)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO digital_holds (hold_id, status_rank, loan_id, closed_at) VALUES (?,?,?,?)
				ON CONFLICT(hold_id) DO UPDATE SET
				loan_id=CASE WHEN excluded.status_rank>status_rank THEN excluded.loan_id ELSE loan_id END,
				closed_at=CASE WHEN excluded.status_rank>status_rank THEN excluded.closed_at ELSE closed_at END,
				status_rank=max(status_rank, excluded.status_rank)`, p.HoldID, rank, p.LoanID, p.ClosedAt)
		}
	default:
		return fmt.Errorf("unknown kind %s", op.Kind)
	}
	return err
}
