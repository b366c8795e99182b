package notices

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
)

// MessageHash is the part of a notice's email Message-ID derived from its
// key (node/notify writes <notice.HASH@host>): a bounce that names only
// the Message-ID finds its notice by it.
func MessageHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

var msgIDRe = regexp.MustCompile(`^<?notice\.([0-9a-f]{32})@[^>]*>?$`)

// KeyOfMessageID is the key of the notice whose email carried the
// Message-ID id, "" when no notice did.
func (e *Engine) KeyOfMessageID(ctx context.Context, id string) (string, error) {
	m := msgIDRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(id)))
	if m == nil {
		return "", domain.Invalid("%q is not the Message-ID of a notice (<notice.HASH@host>).", id)
	}
	var key string
	err := e.svc.Read().QueryRowContext(ctx, `SELECT notice_key FROM notices WHERE msg_hash=? AND claim_stamp<>''`, m[1]).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.Fail(domain.CodeNotFound, "No notice was sent with the Message-ID %s.", id)
	}
	return key, err
}

// A Bounce is a delivery failure reported after the relay accepted a
// message (its webhook, or a delivery status notification): the notice by
// its key or its email's Message-ID, and the SMTP status (RFC 3463, e.g.
// 5.1.1) with the relay's words.
type Bounce struct {
	Key        string `json:"key,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	Status     string `json:"status"`
	Diagnostic string `json:"diagnostic,omitempty"`
}

// BounceResult says what a bounce did.
type BounceResult struct {
	Key string `json:"key"`
	// Action: "failed" (a permanent failure: the notice failed, the
	// address flagged), or "delayed" (a 4.x.x: the relay still tries; only
	// noted).
	Action string `json:"action"`
	// Fallback is the notice claimed through the patron's next channel,
	// when this node sent the one that bounced.
	Fallback string `json:"fallback,omitempty"`
}

var smtpStatusRe = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)

// Bounce records a bounce: a permanent one (5.x.x) fails that notice
// alone (the reason says why), flags the address for staff so the
// patron's later notices go through their next channel (email, SMS,
// print) until staff clear it, and, on the node that sent it, claims this
// notice through the next channel. A 4.x.x is a delay, only noted.
func (e *Engine) Bounce(ctx context.Context, b Bounce) (*BounceResult, error) {
	b.Status = strings.TrimSpace(b.Status)
	if !smtpStatusRe.MatchString(b.Status) || b.Status[0] == '2' {
		return nil, domain.Invalid("The status is an SMTP enhanced status code of a failure, like 5.1.1 or 4.4.7.")
	}
	if b.Key == "" && b.MessageID == "" {
		return nil, domain.Invalid("A bounce names the notice: its key or its Message-ID.")
	}
	if b.Key == "" {
		k, err := e.KeyOfMessageID(ctx, b.MessageID)
		if err != nil {
			return nil, err
		}
		b.Key = k
	}
	r, err := e.record(ctx, b.Key)
	if err != nil {
		return nil, err
	}
	if r.ClaimedBy == "" {
		return nil, domain.Fail(domain.CodeNotFound, "There is no notice %s.", b.Key)
	}
	reason := "bounced " + b.Status
	if d := strings.TrimSpace(b.Diagnostic); d != "" {
		reason += ": " + d
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	res := &BounceResult{Key: b.Key, Action: "delayed"}
	if b.Status[0] == '4' {
		e.lg.Info("notice delayed by the relay", "key", b.Key, "status", b.Status)
		return res, nil
	}
	res.Action = "failed"
	if err := e.Bounced(ctx, b.Key, reason); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx = e.actor(ctx)
	if err := e.setStatus(ctx, r.Key, StatusFailed, reason, r.Attempts, ""); err != nil {
		return nil, err
	}
	e.count("failed", r.Kind, r.Channel)
	if r.ClaimedBy != e.cfg.Node || e.cfg.Sender == nil || r.Kind == KindDigest {
		return res, nil
	}
	p, err := e.svc.Patron(ctx, r.PatronID)
	if err != nil {
		return res, nil
	}
	var st Stats
	if err := e.fallback(ctx, e.svc.Now(), r, p, &st); err != nil {
		return res, fmt.Errorf("notices: the bounce is recorded; the next channel: %w", err)
	}
	for _, ch := range []string{ChannelSMS, ChannelPrint} {
		if ch != r.Channel && e.tried(ctx, r.Base, ch) {
			res.Fallback = Key(r.Base, ch)
			break
		}
	}
	return res, nil
}

// MarkPosted records that staff posted print notices (the letters were
// printed and sent); the print list shows them apart from then on.
func (e *Engine) MarkPosted(ctx context.Context, keys []string) (int, error) {
	n := 0
	kinds := make([]string, len(keys))
	for i, k := range keys {
		nt, err := e.Notice(ctx, k)
		if err != nil {
			return n, err
		}
		if nt.Channel != ChannelPrint {
			return n, domain.Invalid("%s is not a notice to post.", k)
		}
		kinds[i] = nt.Kind
	}
	err := e.svc.Update(ctx, func(t *branch.Txn) error {
		for _, k := range keys {
			if _, err := t.Emit(ctx, KindTrack, trackOp{Key: k, Event: "posted", At: t.Stamp()}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == nil {
		for _, k := range kinds {
			e.count("posted", k, ChannelPrint)
		}
	}
	return n, err
}

// PostedAt is when each of keys was marked posted ("" if not).
func (e *Engine) PostedAt(ctx context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		var at string
		if err := e.svc.Read().QueryRowContext(ctx, `SELECT posted_at FROM notices WHERE notice_key=?`, k).Scan(&at); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out[k] = at
	}
	return out, nil
}

// count reports an event of a notice to Config.Count (metrics).
func (e *Engine) count(event, kind, channel string) {
	if e.cfg.Count != nil {
		e.cfg.Count(event, kind, channel)
	}
}
