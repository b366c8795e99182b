package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"stacks/branch/notices"
	"stacks/node/notify"
	"stacks/node/notify/smstest"
)

func TestSMSSegments(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		enc        string
		segs       int
	}{
		{"empty", "", notify.EncodingGSM7, 1},
		{"ascii 160", strings.Repeat("a", 160), notify.EncodingGSM7, 1},
		{"ascii 161", strings.Repeat("a", 161), notify.EncodingGSM7, 2},
		{"ascii 306", strings.Repeat("a", 306), notify.EncodingGSM7, 2},
		{"ascii 307", strings.Repeat("a", 307), notify.EncodingGSM7, 3},
		{"finnish letters are GSM-7", strings.Repeat("äöÄÖå", 32), notify.EncodingGSM7, 1},
		{"euro takes two septets", strings.Repeat("€", 80), notify.EncodingGSM7, 1},
		{"euro 81", strings.Repeat("€", 81), notify.EncodingGSM7, 2},
		{"š forces UCS-2", "Škoda" + strings.Repeat("a", 65), notify.EncodingUCS2, 1},
		{"UCS-2 71", "š" + strings.Repeat("a", 70), notify.EncodingUCS2, 2},
		{"emoji is two UTF-16 units", strings.Repeat("📚", 35), notify.EncodingUCS2, 1},
		{"emoji 36", strings.Repeat("📚", 36), notify.EncodingUCS2, 2},
		{"no-break space is not GSM-7", "12,50\u00a0€", notify.EncodingUCS2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, segs := notify.SMSSegments(tc.text)
			if enc != tc.enc || segs != tc.segs {
				t.Fatalf("got %s %d, want %s %d", enc, segs, tc.enc, tc.segs)
			}
		})
	}
}

func smsNotifier(t *testing.T) (*notify.Notifier, *smstest.Server) {
	t.Helper()
	p, err := smstest.Start("tok3n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c := baseConfig()
	c.SMSWebhook, c.SMSToken = p.URL, "tok3n"
	return mustNotifier(t, c), p
}

func smsFixture(kind, lang string) notices.Message {
	m := fixture(kind, lang)
	m.Channel, m.To = notices.ChannelSMS, "+358 40 123 4567"
	return m
}

// TestSMSWebhook sends through the webhook to the test provider: the key
// as Idempotency-Key, the bearer token, the number normalised.
func TestSMSWebhook(t *testing.T) {
	n, p := smsNotifier(t)
	m := smsFixture(notices.KindHoldReady, "fi")
	m.Lines = m.Lines[:1]
	m.Lines[0].Title = "Seitsemän veljestä"
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), m); err != nil { // again, after a lost outcome
		t.Fatal(err)
	}
	got := p.Received()
	if len(got) != 1 || p.Requests() != 2 {
		t.Fatalf("received %d in %d requests: want one SMS for one key", len(got), p.Requests())
	}
	r := got[0]
	if r.IdempotencyKey != m.Key || r.Key != m.Key || r.To != "+358401234567" {
		t.Errorf("key %q/%q to %q", r.IdempotencyKey, r.Key, r.To)
	}
	want := "Stacks Public Library: noudettavissa, Töölö, viimeistään 24.12.2026: Seitsemän veljestä"
	if r.Text != want || r.Encoding != notify.EncodingGSM7 || len(r.Parts) != 1 {
		t.Errorf("got %q (%s, %d parts), want %q", r.Text, r.Encoding, len(r.Parts), want)
	}
}

// TestSMSShortened keeps kind, first title, date and branch with "+N
// more" when the whole text would not fit in one segment.
func TestSMSShortened(t *testing.T) {
	n, p := smsNotifier(t)
	m := smsFixture(notices.KindOverdue1, "en")
	m.Lines = nil
	for _, title := range []string{"The Very Long Title of the First Overdue Book in This Notice", "Second", "Third", "Fourth", "Fifth"} {
		m.Lines = append(m.Lines, notices.Line{Title: title, DueDate: fxDate})
	}
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := p.Received()[0]
	if _, segs := notify.SMSSegments(r.Text); segs != 1 {
		t.Fatalf("%q takes %d segments", r.Text, segs)
	}
	for _, w := range []string{"overdue since 24 Dec 2026", "The Very Long", "+4 more", fxBranch} {
		if !strings.Contains(r.Text, w) {
			t.Errorf("%q lacks %q", r.Text, w)
		}
	}
}

// TestSMSSplit sends a text that cannot be shortened into one segment as
// concatenated segments, never dropped.
func TestSMSSplit(t *testing.T) {
	c := baseConfig()
	p, err := smstest.Start("t")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c.SMSWebhook, c.SMSToken = p.URL, "t"
	c.Branding.Name = strings.Repeat("Kaupunginkirjasto ", 6) // a long name in every SMS
	n := mustNotifier(t, c)
	m := smsFixture(notices.KindFines, "fi")
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := p.Received()[0]
	if len(r.Parts) < 2 || strings.Join(r.Parts, "") != r.Text || !strings.Contains(r.Text, "12,50 €") {
		t.Fatalf("want segments of the whole text, got %d parts of %q", len(r.Parts), r.Text)
	}
	for _, part := range r.Parts {
		if enc, segs := notify.SMSSegments(part); segs != 1 || enc != r.Encoding {
			t.Errorf("part %q: %s, %d segments", part, enc, segs)
		}
	}
}

// TestSMSErrors: a number the provider refuses (4xx) is permanent; a 5xx
// is temporary; a malformed number is permanent before any request.
func TestSMSErrors(t *testing.T) {
	n, p := smsNotifier(t)
	ctx := context.Background()
	m := smsFixture(notices.KindDueToday, "en")
	p.Refuse("+358401234567", 422)
	if err := n.Send(ctx, m); !errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("422: want permanent, got %v", err)
	}
	m.To = "040 765 4321"
	p.FailNext(1)
	if err := n.Send(ctx, m); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("503: want temporary, got %v", err)
	}
	if err := n.Send(ctx, m); err != nil {
		t.Fatalf("after the provider recovered: %v", err)
	}
	before := p.Requests()
	for _, bad := range []string{"", "12", "call me", "+358 40 123 4567 890 123"} {
		m.To = bad
		if err := n.Send(ctx, m); !errors.Is(err, notices.ErrPermanent) {
			t.Errorf("%q: want permanent, got %v", bad, err)
		}
	}
	if p.Requests() != before {
		t.Error("malformed numbers reached the provider")
	}
	// A wrong token is the library's fault: temporary.
	c := baseConfig()
	c.SMSWebhook, c.SMSToken = p.URL, "wrong"
	wrong := mustNotifier(t, c)
	m.To = "+358401111111"
	if err := wrong.Send(ctx, m); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("wrong token: want temporary, got %v", err)
	}
}
