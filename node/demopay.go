package node

import (
	"context"
	"encoding/hex"
	"io"

	"stacks/node/payments"
	"stacks/node/payments/paytest"
)

// paymentProvider is the card payment provider of online payments (the
// patron web and the patron API): the configured one (--payment-url), or
// none. The demo library lends one: when the node holds the demo library
// and no provider is configured, the test provider (paytest) runs in this
// process on loopback, so the web's "pay online" journey works in the demo.
// Its page says in English and Finnish that it is a test provider and
// takes no money; the startup log says so too. Outside the demo nothing
// is offered unless configured.
func (n *Node) paymentProvider(ctx context.Context) (*payments.Client, error) {
	if n.cfg.PaymentURL != "" {
		return payments.New(n.cfg.paymentsConfig())
	}
	if !n.cfg.Demo || n.isCentral() {
		return nil, nil
	}
	var state string
	if err := n.db.Read().QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key='demo'`).Scan(&state); err != nil || state != "done" {
		return nil, nil // not the demo library
	}
	b := make([]byte, 24)
	if _, err := io.ReadFull(n.cfg.Rand, b); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(b)
	srv, err := paytest.Start("127.0.0.1:0", paytest.Config{Secret: secret})
	if err != nil {
		return nil, err
	}
	n.closers.add(func() { srv.Close() })
	n.lg.Warn("demo: online payments go to the built-in TEST payment provider on loopback; no real money is taken", "url", srv.URL())
	return payments.New(payments.Config{URL: srv.URL(), Secret: secret})
}
