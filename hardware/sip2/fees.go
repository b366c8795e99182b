package sip2

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"stacks/branch/domain"
)

// parseMoney parses a SIP2 amount ("12.50", "3", "0.5") into cents.
func parseMoney(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(whole) > 9 || len(frac) > 2 || dot && frac == "" {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// paymentMethod maps SIP2's payment type to branch's.
func paymentMethod(t string) string {
	switch t {
	case "00":
		return "cash"
	case "01", "02":
		return "card"
	}
	return "kiosk"
}

// paidTx remembers recent fee-paid transaction IDs (BK) per kiosk, so a
// kiosk that retries a payment it did not hear back about is not charged
// twice: the retry gets the first answer.
type paidTx struct {
	mu   sync.Mutex
	seen map[string]*Message
	fifo []string
}

func (p *paidTx) get(key string) *Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[key]
}

func (p *paidTx) put(key string, m *Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]*Message{}
	}
	if _, ok := p.seen[key]; ok {
		return
	}
	p.seen[key] = m
	p.fifo = append(p.fifo, key)
	if len(p.fifo) > 4096 {
		delete(p.seen, p.fifo[0])
		p.fifo = p.fifo[1:]
	}
}

// feePaid answers 37 with 38: the amount (BV) is paid towards the fee CG,
// or the oldest fees first.
func (ss *session) feePaid(ctx context.Context, m *Message) *Message {
	card, txID := m.Value("AA"), m.Value("BK")
	fail := func(msg string) *Message {
		r := &Message{Code: FeePaidResp, Fixed: "N" + ss.now()}
		r.Add("AO", ss.institution(ctx)).Add("AA", card)
		if txID != "" {
			r.Add("BK", txID)
		}
		return r.Add("AF", msg)
	}
	p, refused := ss.patronFor(ctx, m)
	if refused != "" {
		return fail(refused)
	}
	key := ss.kiosk + "\x00" + p.PatronID + "\x00" + txID
	if txID != "" {
		if prev := ss.srv.paid.get(key); prev != nil {
			ss.lg.Warn("repeated fee payment transaction; answering as before without paying again", "kiosk", ss.kiosk, "transaction", printable(txID))
			r := *prev
			r.Fixed = prev.Fixed[:1] + ss.now()
			return &r
		}
	}
	if c := strings.TrimSpace(m.Fixed[22:25]); c != "" && !strings.EqualFold(c, ss.srv.cfg.Currency) {
		return fail(ss.T("pay.currency", ss.srv.cfg.Currency))
	}
	cents, ok := parseMoney(m.Value("BV"))
	if !ok || cents <= 0 {
		return fail(ss.T("pay.bad_amount"))
	}
	acct, err := ss.lib.payments.Pay(ctx, p.PatronID, domain.PaymentRequest{AmountCents: cents, Method: paymentMethod(m.Fixed[20:22]), FeeID: m.Value("CG")})
	if err != nil {
		return fail(ss.say(err))
	}
	r := &Message{Code: FeePaidResp, Fixed: "Y" + ss.now()}
	r.Add("AO", ss.institution(ctx)).Add("AA", p.Cardnumber)
	if txID != "" {
		r.Add("BK", txID)
	}
	r.Add("AF", ss.T("pay.ok", money(cents), money(max(acct.BalanceCents, 0))))
	r.Add("AG", ss.T("receipt.paid", money(cents), ss.srv.cfg.Currency))
	if txID != "" {
		ss.srv.paid.put(key, r)
	}
	return r
}
