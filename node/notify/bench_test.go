package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/notices"
)

// BenchmarkSendSMTP is notices sent per second to a local SMTP server
// (go-smtp in this process): rendered and sent with one connection kept
// and reused, with a new connection each (in plain text and with
// STARTTLS, where a new connection costs a TLS handshake), and beside them
// the bare
// go-smtp client sending the same bytes on one connection (the floor).
func BenchmarkSendSMTP(b *testing.B) {
	ms := startMailServer(b, mailOptions{})
	srvTLS, cliTLS := testTLS(b)
	tlsMS := startMailServer(b, mailOptions{TLS: srvTLS})
	run := func(b *testing.B, conns int, starttls bool) {
		c := baseConfig()
		c.SMTPAddr, c.SMTPConns, c.SMTPTimeout = ms.Addr, conns, 10*time.Second
		if starttls {
			c.SMTPAddr, c.TLS = tlsMS.Addr, cliTLS
		}
		n := mustNotifier(b, c)
		m := fixture(notices.KindHoldReady, "fi")
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			m.Key = fmt.Sprint("bench/", i)
			if err := n.Send(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
	}
	b.Run("reuse", func(b *testing.B) { run(b, 1, false) })
	b.Run("conn-each", func(b *testing.B) { run(b, -1, false) })
	b.Run("reuse-starttls", func(b *testing.B) { run(b, 1, true) })
	b.Run("conn-each-starttls", func(b *testing.B) { run(b, -1, true) })
	b.Run("bare-go-smtp", func(b *testing.B) {
		// The bytes of one rendered notice, as the notifier sends them.
		probe := startMailServer(b, mailOptions{})
		c := baseConfig()
		c.SMTPAddr = probe.Addr
		n := mustNotifier(b, c)
		if err := n.Send(context.Background(), fixture(notices.KindHoldReady, "fi")); err != nil {
			b.Fatal(err)
		}
		msg := probe.Messages()[0].Data
		cl, err := smtp.Dial(ms.Addr)
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := cl.SendMail("library@example.org", []string{"patron@example.org"}, bytes.NewReader(msg)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
	})
}

// BenchmarkEngineSendSMTP is notices sent per second end to end on a
// standalone appliance: the notice engine (branch/notices) finds each
// new patron's welcome due, claims it, starts it and records its outcome
// (durable transactions, as branchd does), and the notifier renders and
// sends it to a local SMTP server over one kept connection. Each round
// registers 100 patrons (untimed) and runs one Step over them.
func BenchmarkEngineSendSMTP(b *testing.B) {
	ms := startMailServer(b, mailOptions{})
	env := branchtest.Open(b, branchtest.Options{Dir: b.TempDir()})
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(b, ctx, env.Service)
	c := baseConfig()
	c.SMTPAddr, c.SMTPConns, c.SMTPTimeout = ms.Addr, 1, 10*time.Second
	e := notices.New(env.Service, notices.Config{Node: "1", Sender: mustNotifier(b, c)})
	if _, err := e.Step(ctx); err != nil {
		b.Fatal(err)
	}
	sent, card := 0, 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for range 100 {
			card++
			if _, err := env.Service.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("2900%010d", card), Firstname: "Bench",
				Surname: fmt.Sprint(card), Category: "ADULT", PIN: "1234", Email: fmt.Sprintf("p%d@example.org", card)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		st, err := e.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += st.Sent
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "notices/s")
}
