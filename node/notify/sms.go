package notify

import (
	"bytes"
	"context"
	"encoding/json"

	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"stacks/branch/notices"
)

// An SMS is one text message for a provider.
type SMS struct {
	// Key is the notice's key, the provider's idempotency key.
	Key string `json:"key"`
	To  string `json:"to"`
	// Text is the whole message; Parts its segments when it is sent as a
	// concatenated SMS (one part when it fits in one).
	Text     string   `json:"text"`
	Parts    []string `json:"parts"`
	Encoding string   `json:"encoding"` // GSM-7 or UCS-2
}

// SMSProvider sends text messages. An error wrapping notices.ErrPermanent
// means the number can never receive them; any other is temporary.
type SMSProvider interface {
	SendSMS(ctx context.Context, m SMS) error
}

// Webhook is the HTTP webhook provider: a JSON POST of the SMS with an
// Idempotency-Key header (the notice's key) and a bearer token. A 2xx is
// accepted; a 4xx refuses the number or the message (permanent, except 408
// and 429); a 5xx or no answer is temporary.
type Webhook struct {
	URL    string
	Token  string
	Client *http.Client
}

var _ SMSProvider = (*Webhook)(nil)

// SendSMS posts m to the webhook.
func (w *Webhook) SendSMS(ctx context.Context, m SMS) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.Key)
	if w.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token)
	}
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("notify: SMS provider: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	why := strings.TrimSpace(string(msg))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("notify: SMS provider answered %d: %s", resp.StatusCode, why)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// The library's token, not the patron's number: temporary.
		return fmt.Errorf("notify: SMS provider refused the library's token (%d): %s", resp.StatusCode, why)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return fmt.Errorf("%w: notify: SMS provider refused the message (%d): %s", notices.ErrPermanent, resp.StatusCode, why)
	}
	return fmt.Errorf("notify: SMS provider answered %d: %s", resp.StatusCode, why)
}

// smsSender writes notices as SMS.
type smsSender struct {
	n *Notifier
	p SMSProvider
}

// checkPhone is a phone number fit for a provider: digits, an optional
// leading +, 6 to 15 digits; spaces, dashes and brackets are dropped.
func checkPhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", fmt.Errorf("%w: notify: %q is not a phone number", notices.ErrPermanent, s)
		}
	}
	p := b.String()
	digits := len(strings.TrimPrefix(p, "+"))
	if digits < 6 || digits > 15 {
		return "", fmt.Errorf("%w: notify: %q is not a phone number", notices.ErrPermanent, s)
	}
	return p, nil
}

func (s *smsSender) send(ctx context.Context, m notices.Message) error {
	to, err := checkPhone(m.To)
	if err != nil {
		return err
	}
	text, err := s.n.smsText(m)
	if err != nil {
		return err
	}
	enc, _ := SMSSegments(text)
	return s.p.SendSMS(ctx, SMS{Key: m.Key, To: to, Text: text, Parts: splitSMS(text), Encoding: enc})
}

// maxSMSTitle is how long a title may stay in a shortened SMS.
const maxSMSTitle = 40

// smsText writes m as an SMS: whole when it fits in one segment; else
// shortened (the first title, cut to fit, and "+N more"), which keeps the
// kind, the date and the branch; when even that does not fit in one
// segment, the shortened text goes as up to SMSMaxSegments concatenated
// segments, and beyond that as the whole cut to that many: never dropped.
func (n *Notifier) smsText(m notices.Message) (string, error) {
	v, set, err := n.fullView(m, links{}, nil)
	if err != nil {
		return "", err
	}
	render := func() (string, error) {
		t, err := set.execText(m.Kind+".sms", v)
		return strings.ReplaceAll(oneLine(t), "\u00a0", " "), err // a no-break space is not in GSM-7
	}
	full, err := render()
	if err != nil {
		return "", err
	}
	if _, segs := SMSSegments(full); segs == 1 {
		return full, nil
	}
	if len(v.SMSLines) > 1 {
		v.SMSMore = len(v.SMSLines) - 1
		v.SMSLines = v.SMSLines[:1]
	}
	for i, t := range v.SMSLines {
		v.SMSLines[i] = cut(t, maxSMSTitle)
	}
	for i, p := range v.Parts {
		v.Parts[i].Subject = cut(p.Subject, maxSMSTitle)
	}
	short, err := render()
	if err != nil {
		return "", err
	}
	// Cut the title further while that keeps the message in one segment.
	for len(v.SMSLines) == 1 && utf8.RuneCountInString(v.SMSLines[0]) > 12 {
		if _, segs := SMSSegments(short); segs == 1 {
			return short, nil
		}
		v.SMSLines[0] = cut(v.SMSLines[0], utf8.RuneCountInString(v.SMSLines[0])-8)
		if short, err = render(); err != nil {
			return "", err
		}
	}
	if _, segs := SMSSegments(short); segs <= n.cfg.SMSMaxSegments {
		return short, nil
	}
	parts := splitSMS(short)
	return strings.Join(parts[:n.cfg.SMSMaxSegments], ""), nil
}

// cut shortens s to at most max characters, ending in "..." when cut
// ("..." is in GSM-7; an ellipsis character is not).
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-3])) + "..."
}
