package notices

import (
	"context"
	"fmt"

	"stacks/branch"
	"stacks/branch/domain"
)

// Notice is a notice as staff see it (domain.Notice).
type Notice = domain.Notice

// ContactFlag is a contact flagged for staff (domain.ContactFlag).
type ContactFlag = domain.ContactFlag

const noticeCols = `notice_key, kind, patron_id, channel, branch_id, occurrence, status, reason, attempts, claimed_by, claimed_at,
	status_at, digest, fallback_of, resend_of, opened_at, clicked_at, bounced_at`

func (e *Engine) list(ctx context.Context, where string, args ...any) ([]Notice, error) {
	rows, err := e.svc.Read().QueryContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE claim_stamp<>'' AND `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		if err := rows.Scan(&n.Key, &n.Kind, &n.PatronID, &n.Channel, &n.BranchID, &n.Occurrence, &n.Status, &n.Reason, &n.Attempts,
			&n.ClaimedBy, &n.ClaimedAt, &n.StatusAt, &n.Digest, &n.FallbackOf, &n.ResendOf, &n.OpenedAt, &n.ClickedAt, &n.BouncedAt); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PatronNotices lists a patron's notices, newest first.
func (e *Engine) PatronNotices(ctx context.Context, patronID string) ([]Notice, error) {
	if _, err := e.svc.Patron(ctx, patronID); err != nil {
		return nil, err
	}
	return e.list(ctx, `patron_id=? ORDER BY claimed_at DESC, notice_key`, patronID)
}

// Notice is one notice by its key.
func (e *Engine) Notice(ctx context.Context, key string) (*Notice, error) {
	ns, err := e.list(ctx, `notice_key=?`, key)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, domain.Fail(domain.CodeNotFound, "There is no notice %s.", key)
	}
	return &ns[0], nil
}

// ContactFlags are the patron's contacts flagged for staff.
func (e *Engine) ContactFlags(ctx context.Context, patronID string) ([]ContactFlag, error) {
	rows, err := e.svc.Read().QueryContext(ctx, `SELECT channel, address, reason, flagged_at FROM notice_contact_flags
		WHERE patron_id=? AND cleared=0 ORDER BY channel`, patronID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ContactFlag{}
	for rows.Next() {
		var f ContactFlag
		if err := rows.Scan(&f.Channel, &f.Address, &f.Reason, &f.FlaggedAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ClearContactFlag clears a flag once staff fixed the contact.
func (e *Engine) ClearContactFlag(ctx context.Context, patronID, channel string) error {
	return e.svc.Update(ctx, func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindFlag, flagOp{PatronID: patronID, Channel: channel, Cleared: true, At: t.Stamp()})
		return err
	})
}

// PrintItem is a notice to post, with its message.
type PrintItem struct {
	Notice  Notice  `json:"notice"`
	Message Message `json:"message"`
}

// PrintList is the notices to post (channel print) of a branch ("" for
// all) claimed since (a time, "" for all), oldest first, with their
// messages built from the current state.
func (e *Engine) PrintList(ctx context.Context, branchID, since string) ([]PrintItem, error) {
	ns, err := e.list(ctx, `channel='print' AND status='sent' AND (?='' OR branch_id=?) AND claimed_at>=? ORDER BY claimed_at, notice_key`,
		branchID, branchID, since)
	if err != nil {
		return nil, err
	}
	out := []PrintItem{}
	for _, n := range ns {
		r, err := e.record(ctx, n.Key)
		if err != nil {
			return nil, err
		}
		c := candidate{Base: r.Base, Kind: r.Kind, PatronID: r.PatronID, Subject: r.Subject, Occurrence: r.Occurrence, BranchID: r.BranchID, Date: r.Occurrence}
		m, _, err := e.message(ctx, c, ChannelPrint)
		if err != nil {
			continue // the patron was erased since
		}
		m.Key = n.Key
		out = append(out, PrintItem{Notice: n, Message: m})
	}
	return out, nil
}

// Resend sends a notice again at staff's request, as a new notice (its
// key names the original and the resend's number), through the patron's
// first channel now. Two staff resending at once send it once.
func (e *Engine) Resend(ctx context.Context, key string) (*Notice, error) {
	if e.cfg.Sender == nil {
		return nil, ErrNoSender
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.record(ctx, key)
	if err != nil {
		return nil, err
	}
	if r.Kind == KindDigest {
		return nil, domain.Invalid("A digest is resent by resending the notices in it.")
	}
	p, err := e.svc.Patron(ctx, r.PatronID)
	if err != nil {
		return nil, err
	}
	prefs, err := e.prefs(ctx, r.PatronID)
	if err != nil {
		return nil, err
	}
	chans, err := e.channels(ctx, p, prefs)
	if err != nil {
		return nil, err
	}
	var n int
	if err := e.svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE resend_of=? AND fallback_of=''`, key).Scan(&n); err != nil {
		return nil, err
	}
	base := fmt.Sprintf("resend:%s:%d", key, n+1)
	c := claimOp{Key: Key(base, chans[0]), Base: base, Kind: r.Kind, PatronID: r.PatronID, Subject: r.Subject, Occurrence: r.Occurrence,
		Channel: chans[0], BranchID: r.BranchID, ResendOf: key}
	granted, err := e.claim(ctx, claimRequest{Claims: []claimOp{c}})
	if err != nil {
		return nil, domain.Fail(domain.CodeNoticesUnavailable, "The notice cannot be resent now: %v", err)
	}
	if len(granted) == 0 {
		return nil, domain.Fail(domain.CodeConflictResolved, "This notice was just resent by someone else.")
	}
	nr, err := e.record(ctx, c.Key)
	if err != nil {
		return nil, err
	}
	var st Stats
	if err := e.process(e.actorOf(ctx), e.svc.Now(), nr, &st); err != nil {
		return nil, err
	}
	return e.Notice(ctx, c.Key)
}

// actorOf keeps the staff actor who asked, for the ops it records.
func (e *Engine) actorOf(ctx context.Context) context.Context { return ctx }

var _ Tracker = (*Engine)(nil)

// Opened records that a notice was opened (its pixel was fetched).
func (e *Engine) Opened(ctx context.Context, key string) error {
	return e.track(ctx, key, "opened", "")
}

// Clicked records that a link in a notice was followed.
func (e *Engine) Clicked(ctx context.Context, key, url string) error {
	return e.track(ctx, key, "clicked", url)
}

// Bounced records a bounce and flags the contact for staff.
func (e *Engine) Bounced(ctx context.Context, key, reason string) error {
	if err := e.track(ctx, key, "bounced", reason); err != nil {
		return err
	}
	r, err := e.record(ctx, key)
	if err != nil {
		return err
	}
	p, err := e.svc.Patron(ctx, r.PatronID)
	if err != nil {
		return nil
	}
	addr := p.Email
	if r.Channel == ChannelSMS {
		addr = p.Phone
	}
	return e.flag(e.actor(ctx), r.PatronID, r.Channel, addr, "bounced: "+reason)
}

func (e *Engine) track(ctx context.Context, key, event, detail string) error {
	n, err := e.Notice(ctx, key)
	if err != nil {
		return err
	}
	e.count(event, n.Kind, n.Channel)
	if len(detail) > 500 {
		detail = detail[:500]
	}
	return e.svc.Update(e.actor(ctx), func(t *branch.Txn) error {
		_, err := t.Emit(ctx, KindTrack, trackOp{Key: key, Event: event, Detail: detail, At: t.Stamp()})
		return err
	})
}
