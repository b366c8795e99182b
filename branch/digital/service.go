package digital

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Remote is where a node that does not decide digital requests itself
// sends them: the central site. Decide sends an encoded request and
// answers the encoded reply and the ops the decision emitted, for this
// node to integrate at once (nil when they are in its log already). An
// error means the request may not have been decided: the patron is told
// digital lending is unavailable here now.
type Remote interface {
	Decide(ctx context.Context, request []byte) (reply []byte, ops []replicate.Op, err error)
}

// Service lends digital titles over a branch service. With a Remote every
// request is decided there; without one (a standalone appliance) this
// node decides, in its own command transaction.
type Service struct {
	svc    *branch.Service
	remote Remote
	rand   io.Reader
}

// NewService returns digital lending over svc, whose node runs
// Capability(); remote is nil on a standalone appliance. IDs of new loans,
// holds and licences take randomness from rnd (nil: crypto/rand).
func NewService(svc *branch.Service, remote Remote, rnd io.Reader) *Service {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Service{svc: svc, remote: remote, rand: rnd}
}

// Standalone reports whether this node decides digital requests itself.
func (s *Service) Standalone() bool { return s.remote == nil }

func (s *Service) newID() string {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		panic(fmt.Sprintf("digital: randomness failed: %v", err))
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Borrow lends a digital title to a patron under a free licence.
func (s *Service) Borrow(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opBorrow, Req: req, NewID: s.newID(), Lang: lang})
}

// Return ends a digital loan early; the place goes to the next patron
// waiting, if any.
func (s *Service) Return(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opReturn, Req: req, Lang: lang})
}

// Renew extends a digital loan, unless others wait for the title.
func (s *Service) Renew(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opRenew, Req: req, NewID: s.newID(), Lang: lang})
}

// PlaceHold puts a patron in a digital title's queue (lent at once if a
// place is free).
func (s *Service) PlaceHold(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opHold, Req: req, NewID: s.newID(), Lang: lang})
}

// CancelHold takes a patron out of a queue.
func (s *Service) CancelHold(ctx context.Context, req domain.DigitalRequest, lang string) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opCancelHold, Req: req, Lang: lang})
}

// AddLicence records a licence bought for a digital title; waiting
// patrons get the new places at once.
func (s *Service) AddLicence(ctx context.Context, nl domain.NewLicence) (*domain.DigitalResult, error) {
	if err := nl.Normalise(); err != nil {
		return nil, err
	}
	return s.do(ctx, request{Op: opLicence, Licence: &nl, NewID: s.newID()})
}

// Sweep ends the loans whose period is over and lends the places to
// waiting patrons.
func (s *Service) Sweep(ctx context.Context) (*domain.DigitalResult, error) {
	return s.do(ctx, request{Op: opSweep})
}

func (s *Service) do(ctx context.Context, req request) (*domain.DigitalResult, error) {
	req.Actor = domain.ActorFrom(ctx)
	if req.Lang != "fi" {
		req.Lang = "en"
	}
	if s.remote == nil {
		var res *domain.DigitalResult
		err := s.svc.Update(ctx, func(t *branch.Txn) error {
			d := decision{q: t, now: t.Now(), req: req, emit: func(ctx context.Context, kind string, payload any) error {
				_, err := t.Emit(ctx, kind, payload)
				return err
			}}
			var err error
			res, err = d.run(ctx)
			return err
		})
		return res, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	out, ops, err := s.remote.Decide(ctx, body)
	if err != nil {
		return nil, errors.Join(Offline(req.Lang), err)
	}
	if len(ops) > 0 {
		// The patron reads the loan here at once, not at the next sync.
		if _, err := s.svc.Log().Integrate(ctx, ops); err != nil {
			return nil, fmt.Errorf("digital: store the decision's ops: %w", err)
		}
	}
	var rep reply
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("digital: bad reply from central: %w", err)
	}
	if rep.Refusal != nil {
		return nil, rep.Refusal
	}
	if rep.Result == nil {
		return nil, errors.New("digital: empty reply from central")
	}
	return rep.Result, nil
}

// Decide decides an encoded request inside a replicated state machine's
// transaction (central's Raft FSM): q is the transaction, now the
// request's time (the same on every replica), loc the library's time zone,
// and emit appends an op of the state machine. A refusal is part of the
// reply; an error is a failure of the state machine's write.
func Decide(ctx context.Context, q replicate.Querier, now time.Time, loc *time.Location, payload []byte,
	emit func(ctx context.Context, kind string, payload any, actor, channel string) error) ([]byte, error) {
	var req request
	if err := json.Unmarshal(payload, &req); err != nil {
		return json.Marshal(reply{Refusal: domain.Invalid("Bad digital request: %v", err)})
	}
	d := decision{q: q, now: now.In(loc), req: req, emit: func(ctx context.Context, kind string, p any) error {
		return emit(ctx, kind, p, req.Actor.ID, string(req.Actor.Channel))
	}}
	res, err := d.run(ctx)
	var de *domain.Error
	if errors.As(err, &de) {
		return json.Marshal(reply{Refusal: de})
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(reply{Result: res})
}

// PatronLoans lists a patron's digital loans: running ones, or all.
func (s *Service) PatronLoans(ctx context.Context, patronID string, history bool) ([]*domain.DigitalLoan, error) {
	where := `l.patron_id=? AND l.granted_at<>''`
	if !history {
		where += ` AND l.returned_at=''`
	}
	ls, err := queryLoans(ctx, s.svc.Read(), where, patronID)
	if ls == nil {
		ls = []*domain.DigitalLoan{}
	}
	return ls, err
}

// Loan is one digital loan.
func (s *Service) Loan(ctx context.Context, id string) (*domain.DigitalLoan, error) {
	return loanByID(ctx, s.svc.Read(), id)
}

// PatronHolds lists a patron's waiting digital holds, with their places.
func (s *Service) PatronHolds(ctx context.Context, patronID string) ([]*domain.DigitalHold, error) {
	q := s.svc.Read()
	hs, err := queryHolds(ctx, q, `h.patron_id=? AND h.status_rank=0`, patronID)
	if err != nil {
		return nil, err
	}
	out := []*domain.DigitalHold{}
	for _, h := range hs {
		full, err := holdByID(ctx, q, h.HoldID)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// Hold is one digital hold.
func (s *Service) Hold(ctx context.Context, id string) (*domain.DigitalHold, error) {
	h, err := holdByID(ctx, s.svc.Read(), id)
	if err != nil {
		return nil, domain.Fail(domain.CodeHoldNotFound, "No digital hold with id %s.", id)
	}
	return h, nil
}

// Queue is a digital title's waiting holds, in order.
func (s *Service) Queue(ctx context.Context, biblioID string) ([]*domain.DigitalHold, error) {
	hs, err := waitingHolds(ctx, s.svc.Read(), biblioID)
	if hs == nil {
		hs = []*domain.DigitalHold{}
	}
	return hs, err
}

// Licences lists a digital title's licences with their use today.
func (s *Service) Licences(ctx context.Context, biblioID string) ([]*domain.Licence, error) {
	q := s.svc.Read()
	b, err := branch.BiblioIn(ctx, q, biblioID)
	if err != nil {
		return nil, err
	}
	ls, err := licencesOf(ctx, q, b, s.svc.Now().Format(domain.DateLayout))
	if ls == nil {
		ls = []*domain.Licence{}
	}
	return ls, err
}

// Counts are a digital title's places that may be lent today and how many
// of them are free (for "N of M licences free").
func (s *Service) Counts(ctx context.Context, biblioID string) (total, free int, err error) {
	ls, err := s.Licences(ctx, biblioID)
	if err != nil {
		return 0, 0, err
	}
	total, free = counts(ls)
	return total, free, nil
}

// ActiveOverCapacity lists the licences with more running loans than
// places, and titles with more running loans than all their licences
// allow: it must always be empty (the simulations' and tests' invariant).
func ActiveOverCapacity(ctx context.Context, q replicate.Querier) ([]string, error) {
	var out []string
	rows, err := q.QueryContext(ctx, `SELECT l.licence_id, l.copies*l.users, (SELECT count(*) FROM digital_loans d
		WHERE d.licence_id=l.licence_id AND d.returned_at='' AND d.granted_at<>'') FROM digital_licences l ORDER BY l.licence_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var capacity, active int
		if err := rows.Scan(&id, &capacity, &active); err != nil {
			return nil, err
		}
		if active > capacity {
			out = append(out, fmt.Sprintf("licence %s: %d running loans, %d places", id, active, capacity))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	brows, err := q.QueryContext(ctx, `SELECT b.biblio_id, b.licences, (SELECT count(*) FROM digital_loans d
		WHERE d.licence_id='base:'||b.biblio_id AND d.returned_at='' AND d.granted_at<>'') AS active FROM biblios b
		WHERE active > b.licences ORDER BY b.biblio_id`)
	if err != nil {
		return nil, err
	}
	defer brows.Close()
	for brows.Next() {
		var id string
		var capacity, active int
		if err := brows.Scan(&id, &capacity, &active); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("title %s: %d running loans on its base count of %d", id, active, capacity))
	}
	return out, brows.Err()
}
