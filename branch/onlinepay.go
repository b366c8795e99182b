package branch

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"stacks/branch/domain"
	"stacks/replicate"
)

// Online payments: the web starts an attempt (its idempotency key, the
// patron, and how much of which fees), hands it to a card payment provider,
// and finishes it when the provider says how it went. The attempts are this
// node's own record of its dealings with the provider (table
// online_payments, not replicated); a paid attempt becomes the op a desk
// payment makes (fee.lines, kind payment, method online), in the same
// transaction that marks the attempt paid, so a replayed callback or a
// reloaded page pays once. Its lines' IDs derive from the attempt's key, so
// even a second emission could not add a second line.
//
// The attempts' table is written with local (replicate.Direct): on a
// central node a command otherwise runs as a dry run to learn its ops and
// goes through Raft, which would throw the attempt away. So the payment's
// op and the attempt's status are two writes: first the op (through Raft
// on a central node), then the status, locally. A failure between them
// leaves the attempt pending with its fees paid; finishing it again emits
// nothing (the lines exist) and records the status.

// local marks ctx so that writes of the node's own online_payments table
// commit in this node's database even on a central node; it must never
// carry an op.
func local(ctx context.Context) context.Context { return replicate.Direct(ctx) }

const maxOnlineFees = 50

func validAttemptKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// StartOnlinePayment records an attempt to pay fees online under key. It
// is idempotent: the same key answers the attempt already recorded (for the
// same patron only). Each fee must be the patron's and owe at least the
// amount paid towards it.
func (s *Service) StartOnlinePayment(ctx context.Context, patronID, key string, fees []domain.FeeAmount) (*domain.OnlinePayment, error) {
	if !validAttemptKey(key) {
		return nil, domain.Invalid("The payment's key is not valid.")
	}
	if len(fees) == 0 || len(fees) > maxOnlineFees {
		return nil, domain.Fail(domain.CodeBadAmount, "Choose between 1 and %d fees to pay.", maxOnlineFees)
	}
	var out *domain.OnlinePayment
	err := s.update(local(ctx), func(t *txn) error {
		p, err := onlinePayment(ctx, t, key)
		if err == nil {
			if p.PatronID != patronID {
				return domain.Fail(domain.CodeFeeNotFound, "No such payment.")
			}
			out = p
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := getPatron(ctx, t, patronID); err != nil {
			return err
		}
		acct, err := account(ctx, t, patronID)
		if err != nil {
			return err
		}
		owes := map[string]int64{}
		for _, l := range acct.Lines {
			if l.Outstanding > 0 {
				owes[l.LineID] = l.Outstanding
			}
		}
		var total int64
		seen := map[string]bool{}
		for _, f := range fees {
			if seen[f.FeeID] {
				return domain.Invalid("Fee %s is named twice.", f.FeeID)
			}
			seen[f.FeeID] = true
			o, ok := owes[f.FeeID]
			if !ok {
				return domain.Fail(domain.CodeFeeNotFound, "No outstanding fee %s for this patron.", f.FeeID)
			}
			if f.AmountCents <= 0 || f.AmountCents > o {
				return domain.Fail(domain.CodeBadAmount, "%s is not between zero and the %s owed.", domain.Money(f.AmountCents), domain.Money(o))
			}
			total += f.AmountCents
		}
		fj, err := json.Marshal(fees)
		if err != nil {
			return err
		}
		now := t.stamp()
		if _, err := t.ExecContext(ctx, `INSERT INTO online_payments (attempt_key, patron_id, fees, amount_cents, status, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?)`, key, patronID, string(fj), total, domain.OnlineStarted, now, now); err != nil {
			return err
		}
		out, err = onlinePayment(ctx, t, key)
		return err
	})
	return out, err
}

// SetOnlinePaymentProvider records the provider's payment for an attempt
// that has none yet (the attempt is then pending); an attempt that has one
// keeps it.
func (s *Service) SetOnlinePaymentProvider(ctx context.Context, key, providerID, checkoutURL string) (*domain.OnlinePayment, error) {
	if providerID == "" || len(providerID) > 200 || len(checkoutURL) > 2000 {
		return nil, domain.Invalid("The provider's payment is not valid.")
	}
	var out *domain.OnlinePayment
	err := s.update(local(ctx), func(t *txn) error {
		if _, err := t.ExecContext(ctx, `UPDATE online_payments SET provider_id=?, checkout_url=?, status=?, updated_at=?
			WHERE attempt_key=? AND provider_id='' AND status=?`, providerID, checkoutURL, domain.OnlinePending, t.stamp(), key,
			domain.OnlineStarted); err != nil {
			return err
		}
		var err error
		out, err = onlinePayment(ctx, t, key)
		return err
	})
	return out, notFoundPayment(err)
}

// OnlinePayment is the attempt with the key.
func (s *Service) OnlinePayment(ctx context.Context, key string) (*domain.OnlinePayment, error) {
	p, err := onlinePayment(ctx, s.db.Read(), key)
	return p, notFoundPayment(err)
}

// FinishOnlinePayment ends a pending attempt with the provider's verdict:
// paid (the fees are paid with one fee.lines op, in this transaction),
// declined or cancelled. An attempt that has ended stays as it ended, so
// finishing it again (a replayed callback, a reloaded page) changes
// nothing.
func (s *Service) FinishOnlinePayment(ctx context.Context, key, status string) (*domain.OnlinePayment, error) {
	switch status {
	case domain.OnlinePaid, domain.OnlineDeclined, domain.OnlineCancelled:
	default:
		return nil, domain.Invalid("Unknown payment outcome %q.", status)
	}
	if status == domain.OnlinePaid {
		if err := s.update(ctx, func(t *txn) error { return t.payOnline(ctx, key) }); err != nil {
			return nil, notFoundPayment(err)
		}
	}
	var out *domain.OnlinePayment
	err := s.update(local(ctx), func(t *txn) error {
		p, err := onlinePayment(ctx, t, key)
		if err != nil {
			return err
		}
		out = p
		if p.Final() || p.ProviderID == "" {
			return nil
		}
		if _, err := t.ExecContext(ctx, `UPDATE online_payments SET status=?, updated_at=? WHERE attempt_key=?`, status, t.stamp(), key); err != nil {
			return err
		}
		out, err = onlinePayment(ctx, t, key)
		return err
	})
	return out, notFoundPayment(err)
}

// payOnline emits the payment op of a pending attempt's fees: the lines
// not yet recorded (none when an earlier try recorded them).
func (t *txn) payOnline(ctx context.Context, key string) error {
	p, err := onlinePayment(ctx, t, key)
	if err != nil {
		return err
	}
	if p.Final() || p.ProviderID == "" {
		return nil
	}
	var lines []feeLine
	for i, f := range p.Fees {
		id := onlineLineID(key, i)
		var one int
		err := t.QueryRowContext(ctx, `SELECT 1 FROM fees WHERE line_id=?`, id).Scan(&one)
		if err == nil {
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		lines = append(lines, feeLine{LineID: id, PatronID: p.PatronID, Kind: "payment", AmountCents: -f.AmountCents,
			AppliesTo: f.FeeID, Description: "Online payment", Method: "online", CreatedAt: t.stamp(), BranchID: t.s.cfg.Branch})
	}
	if len(lines) == 0 {
		return nil
	}
	_, err = t.emit(ctx, KindFeeLines, feeLinesOp{Lines: lines})
	return err
}

// onlineLineID is the ID of the payment line of an attempt's i-th fee: a
// UUID (version 8) derived from the key, the same on every try.
func onlineLineID(key string, i int) string {
	sum := sha256.Sum256([]byte("stacks online payment\x00" + key + "\x00" + strconv.Itoa(i)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func notFoundPayment(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Fail(domain.CodeFeeNotFound, "No such payment.")
	}
	return err
}

func onlinePayment(ctx context.Context, q querier, key string) (*domain.OnlinePayment, error) {
	var p domain.OnlinePayment
	var fees string
	err := q.QueryRowContext(ctx, `SELECT attempt_key, patron_id, fees, amount_cents, status, provider_id, checkout_url, created_at, updated_at
		FROM online_payments WHERE attempt_key=?`, key).Scan(&p.Key, &p.PatronID, &fees, &p.AmountCents, &p.Status, &p.ProviderID,
		&p.CheckoutURL, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fees), &p.Fees); err != nil {
		return nil, err
	}
	return &p, nil
}
