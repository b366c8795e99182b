package digital

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Request operations.
const (
	opBorrow     = "borrow"
	opReturn     = "return"
	opRenew      = "renew"
	opHold       = "hold"
	opCancelHold = "cancel_hold"
	opLicence    = "licence"
	opSweep      = "sweep"
)

// request is one digital decision as it travels: from an API to the place
// that decides (this node's transaction, or central's Raft log).
type request struct {
	Op      string                `json:"op"`
	Req     domain.DigitalRequest `json:"req"`
	Licence *domain.NewLicence    `json:"licence,omitempty"`
	// NewID is the ID of what the request creates (loan, hold, licence,
	// renewal), made by the node that asks, so that a request sent again
	// after a lost answer is recognised and answered as the first.
	NewID string       `json:"new_id,omitempty"`
	Actor domain.Actor `json:"actor"`
	Lang  string       `json:"lang,omitempty"`
}

// reply is a decision's answer: a result, or a refusal.
type reply struct {
	Result  *domain.DigitalResult `json:"result,omitempty"`
	Refusal *domain.Error         `json:"refusal,omitempty"`
}

// decision is one request being decided against q's state at time now;
// emit appends an op and applies it before returning.
type decision struct {
	q    replicate.Querier
	emit func(ctx context.Context, kind string, payload any) error
	now  time.Time // in library time
	req  request
}

func (d *decision) today() string { return d.now.Format(domain.DateLayout) }
func (d *decision) stamp() string { return d.now.UTC().Format(domain.TimeLayout) }
func (d *decision) lang() string  { return d.req.Lang }

// derivedID is an ID made from seed, the same on every replica (loans a
// decision grants to waiting patrons).
func derivedID(seed string) string {
	h := sha256.Sum256([]byte("stacks/digital/" + seed))
	s := hex.EncodeToString(h[:16])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// run decides the request.
func (d *decision) run(ctx context.Context) (*domain.DigitalResult, error) {
	switch d.req.Op {
	case opBorrow:
		return d.borrow(ctx)
	case opReturn:
		return d.giveBack(ctx)
	case opRenew:
		return d.renew(ctx)
	case opHold:
		return d.hold(ctx)
	case opCancelHold:
		return d.cancelHold(ctx)
	case opLicence:
		return d.addLicence(ctx)
	case opSweep:
		return d.sweep(ctx)
	}
	return nil, domain.Invalid("Unknown digital request %q.", d.req.Op)
}

// title is the digital title id.
func (d *decision) title(ctx context.Context, id string) (*domain.Biblio, error) {
	b, err := branch.BiblioIn(ctx, d.q, id)
	if err != nil {
		return nil, err
	}
	if !b.Digital() {
		return nil, refuse(d.lang(), domain.CodeNotDigital, "not_digital", b.Title)
	}
	return b, nil
}

// eligible checks that p may borrow b now: the patron's refusals, the rule
// for the format's item type and the patron's count of digital loans.
func (d *decision) eligible(ctx context.Context, p *domain.Patron, b *domain.Biblio) (domain.Rule, error) {
	refusals, err := branch.PatronRefusalsIn(ctx, d.q, p, d.today())
	if err != nil {
		return domain.Rule{}, err
	}
	if len(refusals) > 0 {
		return domain.Rule{}, patronRefusal(d.lang(), p, refusals[0])
	}
	rule, err := branch.RuleIn(ctx, d.q, p.HomeBranch, p.Category, domain.DigitalItemTypes[b.Format])
	if err != nil {
		return domain.Rule{}, err
	}
	if rule.LoanDays <= 0 {
		return rule, refuse(d.lang(), domain.CodeNotLoanable, "not_loanable", b.Title)
	}
	var n int
	if err := d.q.QueryRowContext(ctx, `SELECT count(*) FROM digital_loans WHERE patron_id=? AND returned_at='' AND granted_at<>''`,
		p.PatronID).Scan(&n); err != nil {
		return rule, err
	}
	if n >= rule.MaxLoans {
		return rule, refuse(d.lang(), domain.CodeTooManyLoans, "too_many", rule.MaxLoans)
	}
	return rule, nil
}

// pick is the usable licence with a free place that runs out first: by
// date, then by loans left; perpetual ones last (the base count at the
// very end). nil when none is free.
func pick(ls []*domain.Licence) *domain.Licence {
	var free []*domain.Licence
	for _, l := range ls {
		if l.Usable && l.Active < l.Capacity() {
			free = append(free, l)
		}
	}
	sort.SliceStable(free, func(i, j int) bool {
		a, b := free[i], free[j]
		if a.Base != b.Base {
			return !a.Base
		}
		if (a.ExpiresOn != "") != (b.ExpiresOn != "") {
			return a.ExpiresOn != ""
		}
		if a.ExpiresOn != b.ExpiresOn {
			return a.ExpiresOn < b.ExpiresOn
		}
		if (a.MaxLoans > 0) != (b.MaxLoans > 0) {
			return a.MaxLoans > 0
		}
		if a.MaxLoans > 0 && a.MaxLoans-a.LoansUsed != b.MaxLoans-b.LoansUsed {
			return a.MaxLoans-a.LoansUsed < b.MaxLoans-b.LoansUsed
		}
		return a.LicenceID < b.LicenceID
	})
	if len(free) == 0 {
		return nil
	}
	return free[0]
}

// counts are a title's usable capacity and the free places in it.
func counts(ls []*domain.Licence) (total, free int) {
	for _, l := range ls {
		if l.Usable {
			total += l.Capacity()
			free += max(0, l.Capacity()-l.Active)
		}
	}
	return total, free
}

// grant lends b to p under l, filling hold holdID if set.
func (d *decision) grant(ctx context.Context, loanID string, p *domain.Patron, b *domain.Biblio, l *domain.Licence, rule domain.Rule, holdID string) (*domain.DigitalLoan, error) {
	due := d.now.AddDate(0, 0, rule.LoanDays).Format(domain.DateLayout)
	if l.ExpiresOn != "" && l.ExpiresOn < due {
		due = l.ExpiresOn
	}
	op := grantOp{LoanID: loanID, BiblioID: b.BiblioID, LicenceID: l.LicenceID, PatronID: p.PatronID, GrantedAt: d.stamp(), DueDate: due, HoldID: holdID}
	if err := d.emit(ctx, KindGrant, op); err != nil {
		return nil, err
	}
	if holdID != "" {
		if err := d.emit(ctx, KindHoldClose, holdCloseOp{HoldID: holdID, Status: domain.DigitalHoldFilled, LoanID: loanID, ClosedAt: d.stamp()}); err != nil {
			return nil, err
		}
	}
	l.Active++
	l.LoansUsed++
	if l.MaxLoans > 0 && l.LoansUsed >= l.MaxLoans {
		l.Usable = false
	}
	return &domain.DigitalLoan{LoanID: loanID, BiblioID: b.BiblioID, LicenceID: l.LicenceID, PatronID: p.PatronID, Title: b.Title,
		Format: b.Format, IssuedAt: op.GrantedAt, DueDate: due, HoldID: holdID}, nil
}

func (d *decision) borrow(ctx context.Context) (*domain.DigitalResult, error) {
	if d.req.NewID != "" {
		if l, err := loanByID(ctx, d.q, d.req.NewID); err == nil {
			return &domain.DigitalResult{Loan: l}, nil // a request sent again
		}
	}
	p, err := branch.PatronIn(ctx, d.q, d.req.Req.PatronID, d.req.Req.Cardnumber)
	if err != nil {
		return nil, err
	}
	b, err := d.title(ctx, d.req.Req.BiblioID)
	if err != nil {
		return nil, err
	}
	if cur, err := openLoanOf(ctx, d.q, p.PatronID, b.BiblioID); err != nil {
		return nil, err
	} else if cur != nil {
		return nil, refuse(d.lang(), domain.CodeDigitalLoanExists, "already_borrowed", b.Title, cur.DueDate)
	}
	rule, err := d.eligible(ctx, p, b)
	if err != nil {
		return nil, err
	}
	ls, err := licencesOf(ctx, d.q, b, d.today())
	if err != nil {
		return nil, err
	}
	total, free := counts(ls)
	if total == 0 {
		return nil, refuse(d.lang(), domain.CodeNoLicenceFree, "no_licence", b.Title)
	}
	// Waiting patrons come first: only the places beyond those ahead in
	// the queue may be lent (a patron in the queue counts those before
	// them).
	queue, err := waitingHolds(ctx, d.q, b.BiblioID)
	if err != nil {
		return nil, err
	}
	ahead, mine := len(queue), ""
	for i, h := range queue {
		if h.PatronID == p.PatronID {
			ahead, mine = i, h.HoldID
			break
		}
	}
	l := pick(ls)
	if l == nil || free <= ahead {
		return nil, refuse(d.lang(), domain.CodeNoLicenceFree, "no_licence_free", total, b.Title)
	}
	loanID := d.req.NewID
	if loanID == "" {
		loanID = derivedID("loan/" + d.stamp() + "/" + p.PatronID + "/" + b.BiblioID)
	}
	loan, err := d.grant(ctx, loanID, p, b, l, rule, mine)
	if err != nil {
		return nil, err
	}
	return &domain.DigitalResult{Loan: loan}, nil
}

// theLoan is the open loan the request names: by its ID, or the patron's
// of the title.
func (d *decision) theLoan(ctx context.Context) (*domain.DigitalLoan, error) {
	var l *domain.DigitalLoan
	var err error
	if d.req.Req.LoanID != "" {
		l, err = loanByID(ctx, d.q, d.req.Req.LoanID)
	} else {
		var p *domain.Patron
		if p, err = branch.PatronIn(ctx, d.q, d.req.Req.PatronID, d.req.Req.Cardnumber); err != nil {
			return nil, err
		}
		if l, err = openLoanOf(ctx, d.q, p.PatronID, d.req.Req.BiblioID); err == nil && l == nil {
			err = refuse(d.lang(), domain.CodeLoanNotFound, "loan_not_found")
		}
	}
	if err != nil {
		return nil, err
	}
	if d.req.Req.PatronID != "" && l.PatronID != d.req.Req.PatronID {
		return nil, refuse(d.lang(), domain.CodeLoanNotFound, "loan_not_found")
	}
	return l, nil
}

func (d *decision) giveBack(ctx context.Context) (*domain.DigitalResult, error) {
	l, err := d.theLoan(ctx)
	if err != nil {
		return nil, err
	}
	if l.ReturnedAt != "" {
		return &domain.DigitalResult{Loan: l}, nil // returned already (or a request sent again)
	}
	if err := d.emit(ctx, KindReturn, returnOp{LoanID: l.LoanID, ReturnedAt: d.stamp(), Reason: ReasonReturned}); err != nil {
		return nil, err
	}
	l.ReturnedAt, l.ReturnReason = d.stamp(), ReasonReturned
	filled, err := d.fill(ctx, l.BiblioID)
	if err != nil {
		return nil, err
	}
	return &domain.DigitalResult{Loan: l, Filled: filled}, nil
}

func (d *decision) renew(ctx context.Context) (*domain.DigitalResult, error) {
	l, err := d.theLoan(ctx)
	if err != nil {
		return nil, err
	}
	if d.req.NewID != "" {
		var n int
		if err := d.q.QueryRowContext(ctx, `SELECT count(*) FROM digital_renewals WHERE renewal_id=?`, d.req.NewID).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return &domain.DigitalResult{Loan: l}, nil // a request sent again
		}
	}
	if l.ReturnedAt != "" {
		return nil, refuse(d.lang(), domain.CodeLoanNotFound, "loan_not_found")
	}
	p, err := branch.PatronIn(ctx, d.q, l.PatronID, "")
	if err != nil {
		return nil, err
	}
	b, err := d.title(ctx, l.BiblioID)
	if err != nil {
		return nil, err
	}
	refusals, err := branch.PatronRefusalsIn(ctx, d.q, p, d.today())
	if err != nil {
		return nil, err
	}
	if len(refusals) > 0 {
		return nil, patronRefusal(d.lang(), p, refusals[0])
	}
	rule, err := branch.RuleIn(ctx, d.q, p.HomeBranch, p.Category, domain.DigitalItemTypes[b.Format])
	if err != nil {
		return nil, err
	}
	if l.Renewals >= rule.Renewals {
		return nil, refuse(d.lang(), domain.CodeRenewalsExhausted, "renew_max", b.Title, l.Renewals)
	}
	queue, err := waitingHolds(ctx, d.q, b.BiblioID)
	if err != nil {
		return nil, err
	}
	if len(queue) > 0 {
		return nil, refuse(d.lang(), domain.CodeRenewalBlocked, "renew_holds", b.Title)
	}
	ls, err := licencesOf(ctx, d.q, b, d.today())
	if err != nil {
		return nil, err
	}
	var lic *domain.Licence
	for _, x := range ls {
		if x.LicenceID == l.LicenceID {
			lic = x
		}
	}
	if lic != nil && lic.ExpiresOn != "" && lic.ExpiresOn <= l.DueDate {
		return nil, refuse(d.lang(), domain.CodeRenewalBlocked, "renew_licence_ends", b.Title, lic.ExpiresOn)
	}
	base := d.now
	if due, err := time.ParseInLocation(domain.DateLayout, l.DueDate, d.now.Location()); err == nil && due.After(base) {
		base = due
	}
	newDue := base.AddDate(0, 0, rule.LoanDays).Format(domain.DateLayout)
	if lic != nil && lic.ExpiresOn != "" && lic.ExpiresOn < newDue {
		newDue = lic.ExpiresOn
	}
	id := d.req.NewID
	if id == "" {
		id = derivedID(fmt.Sprintf("renew/%s/%d", l.LoanID, l.Renewals))
	}
	if err := d.emit(ctx, KindRenew, renewOp{RenewalID: id, LoanID: l.LoanID, DueDate: newDue, RenewedAt: d.stamp()}); err != nil {
		return nil, err
	}
	l.DueDate, l.Renewals = newDue, l.Renewals+1
	return &domain.DigitalResult{Loan: l}, nil
}

func (d *decision) hold(ctx context.Context) (*domain.DigitalResult, error) {
	if d.req.NewID != "" {
		if h, err := holdByID(ctx, d.q, d.req.NewID); err == nil {
			return &domain.DigitalResult{Hold: h}, nil // a request sent again
		}
	}
	p, err := branch.PatronIn(ctx, d.q, d.req.Req.PatronID, d.req.Req.Cardnumber)
	if err != nil {
		return nil, err
	}
	b, err := d.title(ctx, d.req.Req.BiblioID)
	if err != nil {
		return nil, err
	}
	if cur, err := openLoanOf(ctx, d.q, p.PatronID, b.BiblioID); err != nil {
		return nil, err
	} else if cur != nil {
		return nil, refuse(d.lang(), domain.CodeDigitalLoanExists, "already_borrowed", b.Title, cur.DueDate)
	}
	queue, err := waitingHolds(ctx, d.q, b.BiblioID)
	if err != nil {
		return nil, err
	}
	for _, h := range queue {
		if h.PatronID == p.PatronID {
			return nil, refuse(d.lang(), domain.CodeDuplicateHold, "hold_exists", b.Title)
		}
	}
	refusals, err := branch.PatronRefusalsIn(ctx, d.q, p, d.today())
	if err != nil {
		return nil, err
	}
	if len(refusals) > 0 {
		return nil, patronRefusal(d.lang(), p, refusals[0])
	}
	rule, err := branch.RuleIn(ctx, d.q, p.HomeBranch, p.Category, domain.DigitalItemTypes[b.Format])
	if err != nil {
		return nil, err
	}
	if !rule.HoldsAllowed || rule.LoanDays <= 0 {
		return nil, refuse(d.lang(), domain.CodeHoldNotAllowed, "holds_not_allowed", b.Title)
	}
	ls, err := licencesOf(ctx, d.q, b, d.today())
	if err != nil {
		return nil, err
	}
	if total, _ := counts(ls); total == 0 {
		return nil, refuse(d.lang(), domain.CodeNoLicenceFree, "no_licence", b.Title)
	}
	id := d.req.NewID
	if id == "" {
		id = derivedID("hold/" + d.stamp() + "/" + p.PatronID + "/" + b.BiblioID)
	}
	var seq int
	if err := d.q.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0)+1 FROM digital_holds WHERE biblio_id=?`, b.BiblioID).Scan(&seq); err != nil {
		return nil, err
	}
	if err := d.emit(ctx, KindHold, holdOp{HoldID: id, BiblioID: b.BiblioID, PatronID: p.PatronID, PlacedAt: d.stamp(), Seq: seq}); err != nil {
		return nil, err
	}
	// A place may be free now (nobody waited): the queue fills at once, so
	// the patron may get the loan straight away.
	filled, err := d.fill(ctx, b.BiblioID)
	if err != nil {
		return nil, err
	}
	h, err := holdByID(ctx, d.q, id)
	if err != nil {
		return nil, err
	}
	h.Title = b.Title
	res := &domain.DigitalResult{Hold: h}
	for _, f := range filled {
		if f.HoldID == id {
			res.Loan = f
		} else {
			res.Filled = append(res.Filled, f)
		}
	}
	return res, nil
}

func (d *decision) cancelHold(ctx context.Context) (*domain.DigitalResult, error) {
	h, err := holdByID(ctx, d.q, d.req.Req.HoldID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, refuse(d.lang(), domain.CodeHoldNotFound, "hold_not_found")
		}
		return nil, err
	}
	if d.req.Req.PatronID != "" && h.PatronID != d.req.Req.PatronID {
		return nil, refuse(d.lang(), domain.CodeHoldNotFound, "hold_not_found")
	}
	if h.Status == domain.DigitalHoldCancelled {
		return &domain.DigitalResult{Hold: h}, nil
	}
	if h.Status != domain.DigitalHoldWaiting {
		return nil, refuse(d.lang(), domain.CodeHoldNotActive, "hold_not_waiting")
	}
	if err := d.emit(ctx, KindHoldClose, holdCloseOp{HoldID: h.HoldID, Status: domain.DigitalHoldCancelled, ClosedAt: d.stamp()}); err != nil {
		return nil, err
	}
	h.Status, h.ClosedAt, h.Position = domain.DigitalHoldCancelled, d.stamp(), 0
	// Patrons behind may now get a place that was kept for this one.
	filled, err := d.fill(ctx, h.BiblioID)
	if err != nil {
		return nil, err
	}
	return &domain.DigitalResult{Hold: h, Filled: filled}, nil
}

func (d *decision) addLicence(ctx context.Context) (*domain.DigitalResult, error) {
	nl := d.req.Licence
	if nl == nil {
		return nil, domain.Invalid("No licence given.")
	}
	if err := nl.Normalise(); err != nil {
		return nil, err
	}
	if d.req.NewID == "" {
		return nil, domain.Invalid("A new licence needs an ID.")
	}
	b, err := d.title(ctx, nl.BiblioID)
	if err != nil {
		return nil, err
	}
	if lic, err := licenceByID(ctx, d.q, b, d.req.NewID, d.today()); err == nil {
		return &domain.DigitalResult{Licence: lic}, nil // a request sent again
	}
	op := licenceOp{LicenceID: d.req.NewID, BiblioID: b.BiblioID, Copies: nl.Copies, Users: nl.Users, MaxLoans: nl.MaxLoans,
		ExpiresOn: nl.ExpiresOn, Note: nl.Note, AddedAt: d.stamp()}
	if err := d.emit(ctx, KindLicence, op); err != nil {
		return nil, err
	}
	filled, err := d.fill(ctx, b.BiblioID)
	if err != nil {
		return nil, err
	}
	lic, err := licenceByID(ctx, d.q, b, d.req.NewID, d.today())
	if err != nil {
		return nil, err
	}
	return &domain.DigitalResult{Licence: lic, Filled: filled}, nil
}

// sweep ends every loan whose last day has passed, then fills the queues
// of the titles that freed.
func (d *decision) sweep(ctx context.Context) (*domain.DigitalResult, error) {
	ended, err := queryLoans(ctx, d.q, `l.returned_at='' AND l.granted_at<>'' AND `+dueExpr+`<?`, d.today())
	if err != nil {
		return nil, err
	}
	res := &domain.DigitalResult{}
	titles := map[string]bool{}
	var order []string
	for _, l := range ended {
		if err := d.emit(ctx, KindReturn, returnOp{LoanID: l.LoanID, ReturnedAt: d.stamp(), Reason: ReasonExpired}); err != nil {
			return nil, err
		}
		if !titles[l.BiblioID] {
			titles[l.BiblioID] = true
			order = append(order, l.BiblioID)
		}
	}
	// Licences that ran out by date may leave waiting patrons with no
	// place; titles with free places and a queue are filled too.
	more, err := queryStrings(ctx, d.q, `SELECT DISTINCT biblio_id FROM digital_holds WHERE status_rank=0 ORDER BY biblio_id`)
	if err != nil {
		return nil, err
	}
	for _, id := range more {
		if !titles[id] {
			titles[id] = true
			order = append(order, id)
		}
	}
	for _, id := range order {
		filled, err := d.fill(ctx, id)
		if err != nil {
			return nil, err
		}
		res.Filled = append(res.Filled, filled...)
	}
	res.Loan = nil
	if len(ended) > 0 {
		res.Returned = ended
	}
	return res, nil
}

// fill lends free places of a title to its waiting patrons, in queue
// order; a patron who may not borrow now (a block, the loan limit) keeps
// their place and the next one is served.
func (d *decision) fill(ctx context.Context, biblioID string) ([]*domain.DigitalLoan, error) {
	b, err := branch.BiblioIn(ctx, d.q, biblioID)
	if err != nil || !b.Digital() {
		return nil, nil // a title gone or no longer digital: nothing to lend
	}
	queue, err := waitingHolds(ctx, d.q, biblioID)
	if err != nil || len(queue) == 0 {
		return nil, err
	}
	ls, err := licencesOf(ctx, d.q, b, d.today())
	if err != nil {
		return nil, err
	}
	var out []*domain.DigitalLoan
	for _, h := range queue {
		l := pick(ls)
		if l == nil {
			break
		}
		p, err := branch.PatronIn(ctx, d.q, h.PatronID, "")
		if err != nil {
			continue
		}
		if cur, err := openLoanOf(ctx, d.q, p.PatronID, b.BiblioID); err != nil {
			return nil, err
		} else if cur != nil {
			continue
		}
		rule, err := d.eligible(ctx, p, b)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				continue
			}
			return nil, err
		}
		loan, err := d.grant(ctx, derivedID("fill/"+h.HoldID), p, b, l, rule, h.HoldID)
		if err != nil {
			return nil, err
		}
		out = append(out, loan)
	}
	return out, nil
}
