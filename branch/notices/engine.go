package notices

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// Config configures an Engine.
type Config struct {
	// Node is this node's ID: the claimer of what it sends.
	Node string
	// Sender delivers; nil means this node sends nothing (Step refuses),
	// while its notices' records, rules and tracking still work.
	Sender Sender
	// Remote, if set, decides claims (a node of a cluster); nil claims in
	// this node's own transaction (a standalone appliance).
	Remote  Remote
	Options Options
	Logger  *slog.Logger
	// DigestHour is the hour of the library's day from which a patron's
	// daily digest is sent (default 8).
	DigestHour int
	// MaxAttempts bounds the tries of a notice whose channel keeps failing
	// temporarily (default 30: about a day with the backoff).
	MaxAttempts int
	// SendTimeout bounds one Send (default 30 s).
	SendTimeout time.Duration
	// Count, if set, is told of each notice sent, failed (for good),
	// opened, clicked or bounced, by kind and channel (the node's
	// Prometheus counters).
	Count func(event, kind, channel string)
	// ClaimLease is how long a claim made by a node that then sends
	// nothing (it crashed, or is gone) holds: after it, another node may
	// take the notice over (default DefaultClaimLease). A notice whose send
	// may have begun is never taken over.
	ClaimLease time.Duration
	// PlantDoubleSend is a planted bug for the simulation's self-check: the
	// engine sends without claiming, as Koha's overlapping runs do.
	PlantDoubleSend bool
	// Suggester adds suggestions from what patrons borrowed together to
	// the reading list (branch/recommend); nil leaves it to new arrivals.
	Suggester Suggester
}

// Engine evaluates the triggers, claims, re-checks, sends and records.
// Step is called every minute by the node's loop; one Step (or Resend)
// runs at a time.
type Engine struct {
	svc *branch.Service
	cfg Config
	lg  *slog.Logger

	mu      sync.Mutex
	known   map[string]bool // bases seen claimed (a claim is never undone)
	lastRow int64           // the notices rows read into known
	// bounceSeen: bounced notices whose next channel was looked at.
	bounceSeen map[string]bool
}

// New returns the notice engine of svc, whose node runs Capability().
func New(svc *branch.Service, cfg Config) *Engine {
	if cfg.Options == (Options{}) {
		cfg.Options = DefaultOptions()
	}
	if cfg.DigestHour == 0 {
		cfg.DigestHour = 8
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 30
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{svc: svc, cfg: cfg, lg: cfg.Logger, known: map[string]bool{}, bounceSeen: map[string]bool{}}
}

// SetSender sets the Sender of a node whose channels are made after its
// engine (node/notify, once the HTTP listener is known); call it before
// the first Step.
func (e *Engine) SetSender(s Sender) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.Sender = s
}

// A ChannelSender is a Sender that says which channels it has here; the
// engine does not try a channel this node lacks (and does not hold it
// against the patron's contact), it goes on to the next.
type ChannelSender interface {
	Sender
	Has(channel string) bool
}

// CanSend reports whether this node has a Sender.
func (e *Engine) CanSend() bool { return e.cfg.Sender != nil }

// Stats counts what one Step did.
type Stats struct {
	Due, Claimed, Sent, Failed, Retried, Dropped, Unknown, Unclaimable int
	// TakenOver counts notices taken over from a node that claimed them
	// and did not send them within the lease.
	TakenOver int
}

// ErrNoSender: this node has no channel to send through.
var ErrNoSender = domain.Fail(domain.CodeNoticesUnavailable, "This node sends no notices: no email or SMS channel is configured here.")

func (e *Engine) actor(ctx context.Context) context.Context {
	return domain.WithActor(ctx, domain.Actor{ID: "notices", Role: domain.RoleAdmin, Channel: domain.ChannelEmail})
}

func backoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Step runs one evaluation: notices whose outcome a crash lost become
// unknown; temporary failures due again are retried; every notice due by
// the current state and not yet claimed anywhere is claimed, re-checked
// and sent. A claim that cannot be made (central unreachable) is tried at
// the next Step.
func (e *Engine) Step(ctx context.Context) (Stats, error) {
	var st Stats
	if e.cfg.Sender == nil {
		return st, ErrNoSender
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx = e.actor(ctx)
	now := e.svc.Now()
	if err := e.markUnknown(ctx, &st); err != nil {
		return st, err
	}
	if err := e.resume(ctx, now, &st); err != nil {
		return st, err
	}
	if err := e.takeOver(ctx, now, &st); err != nil {
		return st, err
	}
	if err := e.fallBackBounced(ctx, now, &st); err != nil {
		return st, err
	}
	due, err := e.due(ctx, now)
	if err != nil {
		return st, err
	}
	st.Due = len(due)
	if len(due) == 0 {
		return st, e.unblock(ctx)
	}
	// One claim request per patron: a digest and its parts, or the
	// patron's notices each on its own.
	var batch []claimOp
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		granted, err := e.claim(ctx, claimRequest{Claims: batch})
		asked := batch
		batch = nil
		if err != nil {
			st.Unclaimable++
			e.lg.Warn("notices not claimed now; tried again at the next run", "err", err)
			return nil
		}
		for _, c := range asked {
			e.known[c.Base] = true // granted here or claimed elsewhere
		}
		return e.sendGranted(ctx, now, granted, &st)
	}
	byPatron := map[string][]candidate{}
	var order []string
	for _, c := range due {
		if _, ok := byPatron[c.PatronID]; !ok {
			order = append(order, c.PatronID)
		}
		byPatron[c.PatronID] = append(byPatron[c.PatronID], c)
	}
	for _, pid := range order {
		cs := byPatron[pid]
		p, err := e.svc.Patron(ctx, pid)
		if err != nil {
			continue // erased or unknown: nothing to send
		}
		prefs, err := e.prefs(ctx, pid)
		if err != nil {
			return st, err
		}
		chans, err := e.channels(ctx, p, prefs)
		if err != nil {
			return st, err
		}
		if prefs.Digest {
			if now.Hour() < e.cfg.DigestHour {
				continue
			}
			if err := e.claimDigest(ctx, now, p, chans[0], cs, &st); err != nil {
				return st, err
			}
			continue
		}
		for _, c := range cs {
			batch = append(batch, c.claim(chans[0]))
			if len(batch) >= 100 {
				if err := flush(); err != nil {
					return st, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	return st, e.unblock(ctx)
}

func (c candidate) claim(channel string) claimOp {
	return claimOp{Key: Key(c.Base, channel), Base: c.Base, Kind: c.Kind, PatronID: c.PatronID, Subject: c.Subject,
		Occurrence: c.Occurrence, Channel: channel, BranchID: c.BranchID}
}

// due lists the candidates not known to be claimed. What is known is
// read incrementally (rows added since the last run); it is only a filter:
// the claim decides, and a refused claim is remembered too.
func (e *Engine) due(ctx context.Context, now time.Time) ([]candidate, error) {
	q := e.svc.Read()
	rows, err := q.QueryContext(ctx, `SELECT rowid, base FROM notices WHERE rowid>? AND claim_stamp<>'' ORDER BY rowid`, e.lastRow)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var base string
		if err := rows.Scan(&id, &base); err != nil {
			rows.Close()
			return nil, err
		}
		e.known[base], e.lastRow = true, id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []candidate
	err = evaluate(ctx, q, now, e.cfg.Options, "", func(c candidate) error {
		if !e.known[c.Base] {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// claim asks the place every node agrees on for the claims: central's
// decider in a cluster, this node's own transaction when standalone.
func (e *Engine) claim(ctx context.Context, req claimRequest) ([]string, error) {
	req.Node, req.Actor = e.cfg.Node, domain.ActorFrom(ctx).ID
	if e.cfg.PlantDoubleSend {
		// The planted bug: every node sends what it finds, unclaimed.
		var keys []string
		err := e.svc.Update(ctx, func(t *branch.Txn) error {
			for _, c := range req.Claims {
				c.Node, c.At = req.Node, t.Stamp()
				if _, err := t.Emit(ctx, KindClaim, c); err != nil {
					return err
				}
				keys = append(keys, c.Key)
			}
			return nil
		})
		return keys, err
	}
	if e.cfg.Remote == nil {
		var rep *claimReply
		err := e.svc.Update(ctx, func(t *branch.Txn) error {
			var err error
			rep, err = decideClaims(ctx, t, t.Now(), req, func(ctx context.Context, kind string, p any) error {
				_, err := t.Emit(ctx, kind, p)
				return err
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		return rep.Granted, nil
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	out, ops, err := e.cfg.Remote.Decide(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("notices: the central site cannot be reached to claim: %w", err)
	}
	if len(ops) > 0 {
		if _, err := e.svc.Log().Integrate(ctx, ops); err != nil {
			return nil, fmt.Errorf("notices: store the claims: %w", err)
		}
	}
	var rep claimReply
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("notices: bad reply from central: %w", err)
	}
	return rep.Granted, nil
}

// record is a notice's row.
type record struct {
	Key, Base, Kind, PatronID, Subject, Occurrence, Channel, BranchID, Digest, FallbackOf, ResendOf string
	ClaimedBy, Status                                                                               string
	Attempts                                                                                        int
}

func (e *Engine) record(ctx context.Context, key string) (*record, error) {
	var r record
	err := e.svc.Read().QueryRowContext(ctx, `SELECT notice_key, base, kind, patron_id, subject, occurrence, channel, branch_id, digest,
		fallback_of, resend_of, claimed_by, status, attempts FROM notices WHERE notice_key=?`, key).
		Scan(&r.Key, &r.Base, &r.Kind, &r.PatronID, &r.Subject, &r.Occurrence, &r.Channel, &r.BranchID, &r.Digest, &r.FallbackOf,
			&r.ResendOf, &r.ClaimedBy, &r.Status, &r.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Fail(domain.CodeNotFound, "There is no notice %s.", key)
	}
	return &r, err
}

func (e *Engine) setStatus(ctx context.Context, key, status, reason string, attempts int, next string) error {
	return e.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindStatus, statusOp{Key: key, Status: status, Reason: reason, Attempts: attempts, NextAttempt: next, At: t.Stamp()})
		return err
	})
}

// markUnknown: a notice this node was sending when it stopped has no
// outcome; it may or may not have gone, so it is never sent again blind.
func (e *Engine) markUnknown(ctx context.Context, st *Stats) error {
	keys, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE claimed_by=? AND status=? ORDER BY notice_key`, e.cfg.Node, StatusSending)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := e.setStatus(ctx, k, StatusUnknown, "the node stopped while sending it; not sent again unless staff resend it", 0, ""); err != nil {
			return err
		}
		st.Unknown++
	}
	return nil
}

// resume sends what this node claimed and has not tried (a crash between
// the claim and the send) or must try again (a temporary failure).
func (e *Engine) resume(ctx context.Context, now time.Time, st *Stats) error {
	keys, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE claimed_by=? AND digest='' AND (status=? OR (status=? AND next_attempt<=?))
		ORDER BY notice_key`, e.cfg.Node, StatusClaimed, StatusRetry, now.UTC().Format(domain.TimeLayout))
	if err != nil {
		return err
	}
	for _, k := range keys {
		r, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		if r.Status == StatusRetry {
			st.Retried++
		}
		if err := e.process(ctx, now, r, st); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) keys(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := e.svc.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (e *Engine) sendGranted(ctx context.Context, now time.Time, keys []string, st *Stats) error {
	st.Claimed += len(keys)
	for _, k := range keys {
		e.known[baseOf(k)] = true
		r, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		if r.Digest != "" {
			continue // sent with its digest
		}
		if err := e.process(ctx, now, r, st); err != nil {
			return err
		}
	}
	return nil
}

// baseOf strips the channel from a key.
func baseOf(key string) string {
	if i := strings.LastIndexByte(key, ':'); i > 0 {
		return key[:i]
	}
	return key
}

// stillDue re-checks a notice against the current state just before it
// is sent: a book returned since is not overdue, a renewed loan has
// another due date, a hold collected is not waiting.
func (e *Engine) stillDue(ctx context.Context, now time.Time, r *record) (*candidate, error) {
	var found *candidate
	err := evaluate(ctx, e.svc.Read(), now, e.cfg.Options, r.PatronID, func(c candidate) error {
		if c.Base == r.Base {
			found = &c
		}
		return nil
	})
	return found, err
}

// process sends one claimed notice (not a digest's part): re-check,
// record "sending", send, record the outcome; a permanent failure falls
// back to the patron's next channel.
func (e *Engine) process(ctx context.Context, now time.Time, r *record, st *Stats) error {
	if r.Kind == KindDigest {
		return e.processDigest(ctx, now, r, st)
	}
	var c *candidate
	if r.ResendOf == "" {
		var err error
		if c, err = e.stillDue(ctx, now, r); err != nil {
			return err
		}
		if c == nil {
			st.Dropped++
			return e.setStatus(ctx, r.Key, StatusDropped, "no longer due when re-checked before sending", r.Attempts, "")
		}
	} else {
		c = &candidate{Base: r.Base, Kind: r.Kind, PatronID: r.PatronID, Subject: r.Subject, Occurrence: r.Occurrence, BranchID: r.BranchID}
		c.Date = r.Occurrence
	}
	m, p, err := e.message(ctx, *c, r.Channel)
	if err != nil {
		return err
	}
	m.Key = r.Key
	if m.Kind == KindReadingList && len(m.Lines) == 0 {
		st.Dropped++
		return e.setStatus(ctx, r.Key, StatusDropped, "no new arrivals like what the patron borrows this month", r.Attempts, "")
	}
	return e.deliver(ctx, now, r, m, p, st)
}

// deliver records "sending", sends m and records the outcome.
func (e *Engine) deliver(ctx context.Context, now time.Time, r *record, m Message, p *domain.Patron, st *Stats) error {
	attempt := r.Attempts + 1
	// The send begins where the claim was decided: only the node that
	// holds the claim now may (lease.go).
	if ok, err := e.start(ctx, r, attempt); err != nil {
		st.Unclaimable++
		e.lg.Warn("notice not started now; tried again at the next run", "key", r.Key, "err", err)
		return nil
	} else if !ok {
		return nil
	}
	if r.Channel == ChannelPrint {
		// A notice to post goes on the branch's print list (PrintList).
		st.Sent++
		e.count("sent", r.Kind, r.Channel)
		return e.outcome(ctx, r, StatusSent, "on the print list", attempt, "")
	}
	sctx, cancel := context.WithTimeout(ctx, e.cfg.SendTimeout)
	err := e.cfg.Sender.Send(sctx, m)
	cancel()
	switch {
	case err == nil:
		st.Sent++
		e.count("sent", r.Kind, r.Channel)
		if err := e.outcome(ctx, r, StatusSent, "", attempt, ""); err != nil {
			return err
		}
		return e.maybeBlock(ctx, r, p)
	case errors.Is(err, ErrPermanent):
		st.Failed++
		e.count("failed", r.Kind, r.Channel)
		if err := e.outcome(ctx, r, StatusFailed, err.Error(), attempt, ""); err != nil {
			return err
		}
		if err := e.flag(ctx, r.PatronID, r.Channel, m.To, err.Error()); err != nil {
			return err
		}
		return e.fallback(ctx, now, r, p, st)
	case attempt >= e.cfg.MaxAttempts:
		st.Failed++
		e.count("failed", r.Kind, r.Channel)
		return e.outcome(ctx, r, StatusFailed, fmt.Sprintf("gave up after %d attempts: %v", attempt, err), attempt, "")
	default:
		next := now.UTC().Add(backoff(attempt)).Format(domain.TimeLayout)
		e.lg.Info("notice not sent now; tried again later", "key", r.Key, "attempt", attempt, "next", next, "err", err)
		return e.outcome(ctx, r, StatusRetry, err.Error(), attempt, next)
	}
}

// outcome records a notice's status, and its digest's parts' too.
func (e *Engine) outcome(ctx context.Context, r *record, status, reason string, attempt int, next string) error {
	if err := e.setStatus(ctx, r.Key, status, reason, attempt, next); err != nil {
		return err
	}
	if r.Kind != KindDigest {
		return nil
	}
	parts, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE digest=? AND status<>?`, e.digestRoot(ctx, r), StatusDropped)
	if err != nil {
		return err
	}
	for _, k := range parts {
		if err := e.setStatus(ctx, k, status, reason, attempt, next); err != nil {
			return err
		}
	}
	return nil
}

// fallBackBounced: a bounce reported to another node (the relay's
// delivery report reached a node that did not send the notice) failed
// the notice there; here, on the node that sent it, the notice goes
// through the patron's next channel, as a bounce reported here does. The
// claim of the next channel's key makes it once, cluster-wide.
func (e *Engine) fallBackBounced(ctx context.Context, now time.Time, st *Stats) error {
	keys, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE claimed_by=? AND status=? AND bounced_at<>'' AND digest='' AND kind<>?
		ORDER BY notice_key`, e.cfg.Node, StatusFailed, KindDigest)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if e.bounceSeen[k] {
			continue
		}
		r, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		if p, err := e.svc.Patron(ctx, r.PatronID); err == nil {
			if err := e.fallback(ctx, now, r, p, st); err != nil {
				return err
			}
		}
		e.bounceSeen[k] = true
	}
	return nil
}

// fallback claims the notice through the patron's next channel.
func (e *Engine) fallback(ctx context.Context, now time.Time, r *record, p *domain.Patron, st *Stats) error {
	prefs, err := e.prefs(ctx, r.PatronID)
	if err != nil {
		return err
	}
	chans, err := e.channels(ctx, p, prefs)
	if err != nil {
		return err
	}
	next := ""
	for _, c := range chans {
		if c != r.Channel && !e.tried(ctx, r.Base, c) {
			next = c
			break
		}
	}
	if next == "" {
		return nil
	}
	c := claimOp{Key: Key(r.Base, next), Base: r.Base, Kind: r.Kind, PatronID: r.PatronID, Subject: r.Subject, Occurrence: r.Occurrence,
		Channel: next, BranchID: r.BranchID, ResendOf: r.ResendOf, FallbackOf: r.Key}
	// A digest's parts stay with the first digest; the fallback carries
	// them by reference to it (digestRoot).
	granted, err := e.claim(ctx, claimRequest{Claims: []claimOp{c}})
	if err != nil {
		e.lg.Warn("fallback not claimed now", "key", c.Key, "err", err)
		return nil
	}
	for _, k := range granted {
		nr, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		if err := e.process(ctx, now, nr, st); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) tried(ctx context.Context, base, channel string) bool {
	var n int
	e.svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE notice_key=? AND claim_stamp<>''`, Key(base, channel)).Scan(&n)
	return n > 0
}

func (e *Engine) flag(ctx context.Context, patronID, channel, address, reason string) error {
	return e.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindFlag, flagOp{PatronID: patronID, Channel: channel, Address: address, Reason: reason, At: t.Stamp()})
		return err
	})
}

func (e *Engine) prefs(ctx context.Context, patronID string) (domain.MessagingPrefs, error) {
	ps, err := prefsOf(ctx, e.svc.Read(), patronID)
	if err != nil {
		return domain.MessagingPrefs{}, err
	}
	if p, ok := ps[patronID]; ok {
		return p, nil
	}
	return domain.DefaultMessagingPrefs(), nil
}

// channels are the patron's channels in the order tried: the one they
// chose, then email, SMS, print; a contact flagged for staff is skipped
// until staff clear it. Print is always last.
func (e *Engine) channels(ctx context.Context, p *domain.Patron, prefs domain.MessagingPrefs) ([]string, error) {
	flagged := map[string]bool{}
	rows, err := e.svc.Read().QueryContext(ctx, `SELECT channel, address FROM notice_contact_flags WHERE patron_id=? AND cleared=0`, p.PatronID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c, a string
		if err := rows.Scan(&c, &a); err != nil {
			rows.Close()
			return nil, err
		}
		// A flag is of the address that failed; a new address is tried.
		if (c == ChannelEmail && a == p.Email) || (c == ChannelSMS && a == p.Phone) {
			flagged[c] = true
		}
	}
	rows.Close()
	order := []string{ChannelEmail, ChannelSMS}
	if prefs.Channel == ChannelSMS {
		order = []string{ChannelSMS, ChannelEmail}
	}
	var out []string
	cs, _ := e.cfg.Sender.(ChannelSender)
	for _, c := range order {
		if flagged[c] || (c == ChannelEmail && p.Email == "") || (c == ChannelSMS && p.Phone == "") {
			continue
		}
		if cs != nil && !cs.Has(c) {
			continue
		}
		out = append(out, c)
	}
	return append(out, ChannelPrint), nil
}

// message builds a notice's Message from the current state.
func (e *Engine) message(ctx context.Context, c candidate, channel string) (Message, *domain.Patron, error) {
	p, err := e.svc.Patron(ctx, c.PatronID)
	if err != nil {
		return Message{}, nil, err
	}
	m := Message{Kind: c.Kind, Channel: channel, Language: p.Language, BranchID: c.BranchID, Date: c.Date, Amount: c.Amount,
		Patron: Patron{ID: p.PatronID, Name: p.Name(), CardNumber: p.Cardnumber, Address: p.Address}}
	if m.Language == "" {
		m.Language = "en"
	}
	switch channel {
	case ChannelEmail:
		m.To = p.Email
	case ChannelSMS:
		m.To = p.Phone
	}
	if m.BranchID == "" {
		m.BranchID = p.HomeBranch
	}
	q := e.svc.Read()
	m.BranchName = branchName(ctx, q, m.BranchID)
	switch c.Kind {
	case KindPreDue, KindDueToday, KindOverdue1, KindOverdue2, KindOverdue3:
		var l Line
		var authors string
		err := q.QueryRowContext(ctx, `SELECT b.biblio_id, b.title, b.authors, i.barcode, l.due_date, l.branch_id FROM loans l
			JOIN items i ON i.item_id=l.item_id JOIN biblios b ON b.biblio_id=i.biblio_id WHERE l.loan_id=?`, c.Subject).
			Scan(&l.BiblioID, &l.Title, &authors, &l.Barcode, &l.DueDate, &l.Branch)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return m, p, err
		}
		l.Author, l.Branch = firstAuthor(authors), branchName(ctx, q, l.Branch)
		if err == nil {
			m.Lines = []Line{l}
		}
		m.Template = c.Template
	case KindHoldReady, KindHoldCancelled, KindHoldExpired:
		var l Line
		var authors string
		err := q.QueryRowContext(ctx, `SELECT b.biblio_id, b.title, b.authors, h.shelf_expires, h.pickup_branch FROM holds h
			JOIN biblios b ON b.biblio_id=h.biblio_id WHERE h.hold_id=?`, c.Subject).Scan(&l.BiblioID, &l.Title, &authors, &l.PickupBy, &l.Branch)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return m, p, err
		}
		l.Author, l.Branch = firstAuthor(authors), branchName(ctx, q, l.Branch)
		if err == nil {
			m.Lines = []Line{l}
		}
	case KindFines:
		if m.Amount == 0 {
			q.QueryRowContext(ctx, `SELECT coalesce(sum(amount_cents),0) FROM fees WHERE patron_id=?`, c.PatronID).Scan(&m.Amount)
		}
	case KindCardExpiring:
		m.Date = p.ExpiryDate
	case KindEventConfirmed, KindEventPromoted, KindEventRegistrationCancelled, KindEventCancelled, KindEventReminder:
		if err := eventOf(ctx, q, &m, c.Subject, e.svc.Now().Location()); err != nil {
			return m, p, err
		}
	case KindReadingList:
		as, err := newArrivals(ctx, q, e.svc.Now())
		if err != nil {
			return m, p, err
		}
		if m.Lines, err = readingList(ctx, q, p.PatronID, as); err != nil {
			return m, p, err
		}
		if m.Lines, err = suggested(ctx, e.cfg.Suggester, q, p.PatronID, m.Lines); err != nil {
			return m, p, err
		}
	}
	return m, p, nil
}

func branchName(ctx context.Context, q replicate.Querier, id string) string {
	var name string
	if q.QueryRowContext(ctx, `SELECT name FROM libraries WHERE branch_id=?`, id).Scan(&name) != nil || name == "" {
		return id
	}
	return name
}

func firstAuthor(js string) string {
	var as []string
	if json.Unmarshal([]byte(js), &as) == nil && len(as) > 0 {
		return as[0]
	}
	return ""
}

// blockPrefix starts the block reason of an overdue rule that blocks
// until the items are back; the engine lifts only blocks it made.
const blockPrefix = "Overdue notice: borrowing is blocked until the overdue items are returned"

// maybeBlock blocks the patron when an overdue notice's rule says so.
func (e *Engine) maybeBlock(ctx context.Context, r *record, p *domain.Patron) error {
	if p == nil || p.Blocked || (r.Kind != KindOverdue1 && r.Kind != KindOverdue2 && r.Kind != KindOverdue3) {
		return nil
	}
	c, err := e.stillDue(ctx, e.svc.Now(), r)
	if err != nil || c == nil || !c.Block {
		return err
	}
	_, err = e.svc.BlockPatron(ctx, p.PatronID, blockPrefix+" ("+r.Key+").")
	return err
}

// unblock lifts the engine's blocks of patrons with no loan overdue under
// a blocking rule any more.
func (e *Engine) unblock(ctx context.Context) error {
	ids, err := e.keys(ctx, `SELECT patron_id FROM patrons WHERE blocked=1 AND block_reason LIKE ? ORDER BY patron_id`, blockPrefix+"%")
	if err != nil || len(ids) == 0 {
		return err
	}
	now := e.svc.Now()
	for _, id := range ids {
		still := false
		if err := evaluate(ctx, e.svc.Read(), now, e.cfg.Options, id, func(c candidate) error {
			still = still || c.Block
			return nil
		}); err != nil {
			return err
		}
		if !still {
			if _, err := e.svc.UnblockPatron(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimDigest claims today's digest of a patron with the notices due and
// sends it.
func (e *Engine) claimDigest(ctx context.Context, now time.Time, p *domain.Patron, channel string, cs []candidate, st *Stats) error {
	base := baseKey(KindDigest, p.PatronID, now.Format(domain.DateLayout))
	if e.known[base] {
		return nil
	}
	dkey := Key(base, channel)
	claims := []claimOp{{Key: dkey, Base: base, Kind: KindDigest, PatronID: p.PatronID, Subject: p.PatronID,
		Occurrence: now.Format(domain.DateLayout), Channel: channel, BranchID: p.HomeBranch}}
	for _, c := range cs {
		cl := c.claim(channel)
		cl.Digest = dkey
		claims = append(claims, cl)
	}
	granted, err := e.claim(ctx, claimRequest{Digest: true, Claims: claims})
	if err != nil {
		st.Unclaimable++
		e.lg.Warn("digest not claimed now; tried again at the next run", "err", err)
		return nil
	}
	e.known[base] = true // today's digest is claimed, here or elsewhere
	if len(granted) == 0 {
		return nil // it went already: the rest waits for tomorrow's
	}
	for _, k := range granted {
		e.known[baseOf(k)] = true
	}
	st.Claimed += len(granted)
	r, err := e.record(ctx, dkey)
	if err != nil {
		return err
	}
	return e.processDigest(ctx, now, r, st)
}

// processDigest re-checks a digest's parts and sends the digest with
// those still due.
func (e *Engine) processDigest(ctx context.Context, now time.Time, r *record, st *Stats) error {
	partsOf := e.digestRoot(ctx, r)
	keys, err := e.keys(ctx, `SELECT notice_key FROM notices WHERE digest=? AND status NOT IN (?,?) ORDER BY notice_key`, partsOf, StatusDropped, StatusSent)
	if err != nil {
		return err
	}
	d, p, err := e.message(ctx, candidate{Kind: KindDigest, PatronID: r.PatronID, Subject: r.Subject, BranchID: r.BranchID, Date: r.Occurrence}, r.Channel)
	if err != nil {
		return err
	}
	d.Key = r.Key
	for _, k := range keys {
		pr, err := e.record(ctx, k)
		if err != nil {
			return err
		}
		c, err := e.stillDue(ctx, now, pr)
		if err != nil {
			return err
		}
		if c == nil {
			st.Dropped++
			if err := e.setStatus(ctx, k, StatusDropped, "no longer due when re-checked before sending", 0, ""); err != nil {
				return err
			}
			continue
		}
		m, _, err := e.message(ctx, *c, r.Channel)
		if err != nil {
			return err
		}
		m.Key = k
		if m.Kind == KindReadingList && len(m.Lines) == 0 {
			st.Dropped++
			if err := e.setStatus(ctx, k, StatusDropped, "no new arrivals like what the patron borrows this month", 0, ""); err != nil {
				return err
			}
			continue
		}
		d.Parts = append(d.Parts, m)
	}
	if len(d.Parts) == 0 {
		st.Dropped++
		return e.setStatus(ctx, r.Key, StatusDropped, "nothing in it was still due when re-checked before sending", r.Attempts, "")
	}
	return e.deliver(ctx, now, r, d, p, st)
}

// digestRoot is the digest whose parts a digest sent through a fallback
// channel carries: the first of its chain.
func (e *Engine) digestRoot(ctx context.Context, r *record) string {
	root, next := r.Key, r.FallbackOf
	for i := 0; next != "" && i < 4; i++ {
		fr, err := e.record(ctx, next)
		if err != nil {
			break
		}
		root, next = fr.Key, fr.FallbackOf
	}
	return root
}

// Evaluate counts the notices due at the node's now and not yet claimed
// anywhere this node knows of, without claiming or sending anything (the
// trigger evaluation one Step starts with).
func (e *Engine) Evaluate(ctx context.Context) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	due, err := e.due(ctx, e.svc.Now())
	return len(due), err
}
