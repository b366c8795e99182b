package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"stacks/branch/notices"
)

// emailSender sends through the relay, keeping up to SMTPConns
// connections open between messages.
type emailSender struct {
	n    *Notifier
	helo string
	tls  *tls.Config

	// offersTLS remembers that the relay offered STARTTLS, so later
	// connections ask for it at once (go-smtp upgrades only a client it
	// makes with NewClientStartTLS).
	offersTLS atomic.Bool

	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
}

type smtpConn struct {
	c    *smtp.Client
	raw  net.Conn
	used time.Time
}

func newEmailSender(n *Notifier) *emailSender {
	host, _, _ := net.SplitHostPort(n.cfg.SMTPAddr)
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if n.cfg.TLS != nil {
		tc = n.cfg.TLS.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	helo := n.cfg.HeloName
	if helo == "" {
		helo = "localhost"
		if u, err := url.Parse(n.cfg.PublicURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
			helo = u.Hostname()
		}
	}
	return &emailSender{n: n, helo: helo, tls: tc}
}

// send renders m and hands it to the relay.
func (e *emailSender) send(ctx context.Context, m notices.Message) error {
	to, err := checkAddress(m.To)
	if err != nil {
		return err
	}
	msg, err := e.n.buildEmail(m, to)
	if err != nil {
		return err // a template that fails to run: the administrator's to fix; temporary
	}
	return e.deliver(ctx, to, msg)
}

// deliver runs one mail transaction on a kept or new connection. A kept
// connection the relay has closed meanwhile is replaced once, before
// anything of the message was accepted.
func (e *emailSender) deliver(ctx context.Context, to string, msg []byte) error {
	for attempt := 0; ; attempt++ {
		sc, reused, err := e.get(ctx)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { sc.raw.Close() })
		stage, err := e.transaction(sc, to, msg)
		interrupted := !stop()
		if err == nil {
			e.put(sc)
			return nil
		}
		var se *smtp.SMTPError
		isSMTP := errors.As(err, &se)
		if reused && attempt == 0 && stage == "MAIL" && (!isSMTP || se.Code == 421) {
			sc.c.Close()
			continue // the relay dropped a kept connection: once more on a new one
		}
		if isSMTP && se.Code != 421 && !interrupted && sc.c.Reset() == nil {
			e.put(sc) // the relay refused this message; the connection is fine
		} else {
			sc.c.Close()
		}
		if interrupted && ctx.Err() != nil {
			return fmt.Errorf("notify: email: %w", ctx.Err())
		}
		return classify(stage, err)
	}
}

// transaction sends msg to to; the stage is where it failed.
func (e *emailSender) transaction(sc *smtpConn, to string, msg []byte) (string, error) {
	if err := sc.c.Mail(e.n.cfg.MailFrom, &smtp.MailOptions{Size: int64(len(msg))}); err != nil {
		return "MAIL", err
	}
	if err := sc.c.Rcpt(to, nil); err != nil {
		return "RCPT", err
	}
	w, err := sc.c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "DATA", err
	}
	sc.used = e.n.cfg.Clock.Now()
	return "", nil
}

// classify turns a failure at stage into a permanent or temporary error.
// Permanent: the relay refused the recipient or the message with a 5xx
// (RCPT, DATA), or the message's size at MAIL (552, 5.3.4). A 5xx to MAIL
// otherwise refuses the library's own sender, which no fallback to another
// channel of this patron mends: temporary, and logged. 4xx, timeouts and
// dropped connections are temporary.
func classify(stage string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		permanent := se.Code >= 500 && (stage == "RCPT" || stage == "DATA" ||
			(stage == "MAIL" && (se.Code == 552 || se.EnhancedCode == smtp.EnhancedCode{5, 3, 4})))
		if permanent {
			return fmt.Errorf("%w: notify: the relay refused the message at %s: %d %s", notices.ErrPermanent, stage, se.Code, se.Message)
		}
		return fmt.Errorf("notify: the relay answered %d at %s: %s", se.Code, stage, se.Message)
	}
	return fmt.Errorf("notify: email at %s: %w", stage, err)
}

// get returns a kept connection used within SMTPIdle, or a new one.
func (e *emailSender) get(ctx context.Context) (*smtpConn, bool, error) {
	now := e.n.cfg.Clock.Now()
	e.mu.Lock()
	for len(e.idle) > 0 {
		sc := e.idle[len(e.idle)-1]
		e.idle = e.idle[:len(e.idle)-1]
		if now.Sub(sc.used) < e.n.cfg.SMTPIdle {
			e.mu.Unlock()
			return sc, true, nil
		}
		sc.c.Close() // kept too long: the relay has likely dropped it already
	}
	e.mu.Unlock()
	sc, err := e.dial(ctx)
	return sc, false, err
}

func quit(sc *smtpConn) {
	sc.raw.SetDeadline(time.Now().Add(2 * time.Second))
	if sc.c.Quit() != nil {
		sc.c.Close()
	}
}

// put keeps sc for the next message, or closes it.
func (e *emailSender) put(sc *smtpConn) {
	e.mu.Lock()
	if !e.closed && len(e.idle) < e.n.cfg.SMTPConns {
		e.idle = append(e.idle, sc)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	quit(sc)
}

func (e *emailSender) close() {
	e.mu.Lock()
	idle := e.idle
	e.idle, e.closed = nil, true
	e.mu.Unlock()
	for _, sc := range idle {
		quit(sc)
	}
}

// ErrNoStartTLS is returned (temporary) when STARTTLS is required and the
// relay does not offer it.
var ErrNoStartTLS = errors.New("notify: the relay does not offer STARTTLS, which is required")

// dial connects, says EHLO, upgrades to TLS when offered (or fails when it
// is required and not offered) and authenticates when configured.
func (e *emailSender) dial(ctx context.Context) (*smtpConn, error) {
	cfg := e.n.cfg
	d := net.Dialer{Timeout: cfg.SMTPTimeout}
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	connect := func() (net.Conn, error) {
		raw, err := d.DialContext(ctx, "tcp", cfg.SMTPAddr)
		if err != nil {
			return nil, fmt.Errorf("notify: the relay %s: %w", cfg.SMTPAddr, err)
		}
		// The greeting, EHLO, STARTTLS and AUTH end with ctx too.
		stops = append(stops, context.AfterFunc(ctx, func() { raw.Close() }))
		return raw, nil
	}
	setup := func(c *smtp.Client) {
		c.CommandTimeout, c.SubmissionTimeout = cfg.SMTPTimeout, 2*cfg.SMTPTimeout
	}
	raw, err := connect()
	if err != nil {
		return nil, err
	}
	var c *smtp.Client
	if e.offersTLS.Load() {
		c, err = smtp.NewClientStartTLS(raw, e.tls)
		if err != nil {
			e.offersTLS.Store(false)
			raw.Close()
			return nil, fmt.Errorf("notify: STARTTLS with %s: %w", cfg.SMTPAddr, err)
		}
		setup(c)
	} else {
		c = smtp.NewClient(raw)
		setup(c)
		raw.SetDeadline(time.Now().Add(cfg.SMTPTimeout))
		err := c.Hello(e.helo)
		raw.SetDeadline(time.Time{})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("notify: EHLO to %s: %w", cfg.SMTPAddr, err)
		}
		if ok, _ := c.Extension("STARTTLS"); ok {
			// Offered: go-smtp upgrades a new client only, so once again
			// on a new connection (and at once from now on).
			c.Close()
			e.offersTLS.Store(true)
			if raw, err = connect(); err != nil {
				return nil, err
			}
			if c, err = smtp.NewClientStartTLS(raw, e.tls); err != nil {
				raw.Close()
				return nil, fmt.Errorf("notify: STARTTLS with %s: %w", cfg.SMTPAddr, err)
			}
			setup(c)
		} else if cfg.StartTLS == StartTLSRequired {
			c.Close()
			return nil, ErrNoStartTLS
		}
	}
	if _, isTLS := c.TLSConnectionState(); isTLS {
		if err := c.Hello(e.helo); err != nil {
			c.Close()
			return nil, fmt.Errorf("notify: EHLO to %s: %w", cfg.SMTPAddr, err)
		}
	}
	if cfg.SMTPUser != "" {
		if ok, _ := c.Extension("AUTH"); ok {
			_, isTLS := c.TLSConnectionState()
			if !isTLS && !isLoopback(cfg.SMTPAddr) {
				c.Close()
				return nil, fmt.Errorf("notify: refusing to send the SMTP password to %s without TLS", cfg.SMTPAddr)
			}
			if !c.SupportsAuth(sasl.Plain) {
				c.Close()
				return nil, fmt.Errorf("notify: the relay %s does not offer AUTH PLAIN", cfg.SMTPAddr)
			}
			if err := c.Auth(sasl.NewPlainClient("", cfg.SMTPUser, cfg.SMTPPassword)); err != nil {
				c.Close()
				return nil, fmt.Errorf("notify: AUTH with %s: %w", cfg.SMTPAddr, err)
			}
		}
	}
	return &smtpConn{c: c, raw: raw, used: cfg.Clock.Now()}, nil
}

func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
