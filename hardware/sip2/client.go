package sip2

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Client is the self-check unit's side of a SIP2 session: it numbers and
// checksums requests, asks for a resend (97) when a response is garbled and
// resends a request when the ACS asks (96).
type Client struct {
	conn net.Conn
	br   *bufio.Reader
	seq  int
	// ErrorDetection adds AY/AZ to every request (on by default).
	ErrorDetection bool
	// Timeout bounds each round trip.
	Timeout time.Duration
	// Retries bounds resends on either side.
	Retries int
	// Language is the SIP2 language code sent in patron status (23) and
	// patron information (63): the kiosk's screen language (LanguageCode);
	// "000" (unknown) when empty.
	Language string
}

// NewClient runs a session over conn.
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, br: bufio.NewReader(conn), ErrorDetection: true, Timeout: 30 * time.Second, Retries: 3}
}

// Dial connects to an ACS at addr, over TLS when tcfg is not nil.
func Dial(ctx context.Context, addr string, tcfg *tls.Config) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcfg != nil {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	return NewClient(conn), nil
}

// Close ends the session.
func (c *Client) Close() error { return c.conn.Close() }

// ErrNoAnswer is a request the ACS kept asking to resend, or a response
// that stayed garbled.
var ErrNoAnswer = errors.New("sip2: no usable answer from the ACS")

// Do sends req and returns the response.
func (c *Client) Do(req *Message) (*Message, error) {
	r := *req
	r.Checksummed = c.ErrorDetection
	r.Seq = -1
	if c.ErrorDetection {
		r.Seq = c.seq
		c.seq = (c.seq + 1) % 10
	}
	out := r.Encode()
	for try := 0; try <= c.Retries; try++ {
		if err := c.send(out); err != nil {
			return nil, err
		}
		resp, err := c.read()
		for garbled := 0; errors.Is(err, ErrChecksum) && garbled < c.Retries; garbled++ {
			resend := &Message{Code: RequestACSResend, Seq: -1, Checksummed: c.ErrorDetection}
			if err := c.send(resend.Encode()); err != nil {
				return nil, err
			}
			resp, err = c.read()
		}
		if err != nil {
			if errors.Is(err, ErrChecksum) {
				return nil, ErrNoAnswer
			}
			return nil, err
		}
		if resp.Code == RequestSCResend {
			continue
		}
		if c.ErrorDetection && resp.Seq >= 0 && resp.Seq != r.Seq {
			return nil, fmt.Errorf("sip2: response sequence %d to request %d", resp.Seq, r.Seq)
		}
		return resp, nil
	}
	return nil, ErrNoAnswer
}

func (c *Client) send(b []byte) error {
	c.conn.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := c.conn.Write(append(b, '\r'))
	return err
}

func (c *Client) read() (*Message, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.Timeout))
	for {
		line, err := c.br.ReadString('\r')
		if err != nil {
			return nil, err
		}
		line = strings.Trim(line, "\r\n")
		if line == "" {
			continue
		}
		return Decode([]byte(line))
	}
}

// Now is the transaction date of requests; tests may replace it.
func (c *Client) now() string { return stamp(time.Now()) }

// Req builds a request with its fixed part and fields (tag, value pairs).
func Req(code, fixed string, tagValues ...string) *Message {
	m := &Message{Code: code, Fixed: fixed, Seq: -1}
	for i := 0; i+1 < len(tagValues); i += 2 {
		m.Add(tagValues[i], tagValues[i+1])
	}
	return m
}

// Login logs the kiosk in (93).
func (c *Client) Login(user, password, location string) error {
	resp, err := c.Do(Req(Login, "00", "CN", user, "CO", password, "CP", location))
	if err != nil {
		return err
	}
	if resp.Code != LoginResp || resp.Fixed != "1" {
		return errors.New("sip2: login refused")
	}
	return nil
}

func (c *Client) language() string {
	if len(c.Language) == 3 {
		return c.Language
	}
	return "000"
}

// Status sends 99 and returns 98.
func (c *Client) Status() (*Message, error) { return c.Do(Req(SCStatus, "0"+"080"+"2.00")) }

// PatronStatus sends 23.
func (c *Client) PatronStatus(inst, card, pin string) (*Message, error) {
	return c.Do(Req(PatronStatus, c.language()+c.now(), "AO", inst, "AA", card, "AC", "", "AD", pin))
}

// PatronInfo sends 63 with a summary position (0-5, or -1 for none).
func (c *Client) PatronInfo(inst, card, pin string, summary int) (*Message, error) {
	s := []byte("          ")
	if summary >= 0 && summary < 10 {
		s[summary] = 'Y'
	}
	return c.Do(Req(PatronInfo, c.language()+c.now()+string(s), "AO", inst, "AA", card, "AC", "", "AD", pin))
}

// Checkout sends 11 (renewal policy Y: a second checkout renews).
func (c *Client) Checkout(inst, card, pin, barcode string) (*Message, error) {
	return c.Do(Req(Checkout, "YN"+c.now()+strings.Repeat(" ", 18), "AO", inst, "AA", card, "AB", barcode, "AC", "", "AD", pin))
}

// Checkin sends 09.
func (c *Client) Checkin(inst, location, barcode string) (*Message, error) {
	return c.Do(Req(Checkin, "N"+c.now()+c.now(), "AP", location, "AO", inst, "AB", barcode, "AC", ""))
}

// Renew sends 29.
func (c *Client) Renew(inst, card, pin, barcode string) (*Message, error) {
	return c.Do(Req(Renew, "NN"+c.now()+strings.Repeat(" ", 18), "AO", inst, "AA", card, "AD", pin, "AB", barcode, "AC", ""))
}

// RenewAll sends 65.
func (c *Client) RenewAll(inst, card, pin string) (*Message, error) {
	return c.Do(Req(RenewAll, c.now(), "AO", inst, "AA", card, "AD", pin, "AC", ""))
}

// FeePaid sends 37: amount like "2.50", cash, in currency.
func (c *Client) FeePaid(inst, card, pin, amount, currency, txID string) (*Message, error) {
	return c.Do(Req(FeePaid, c.now()+"01"+"00"+currency, "BV", amount, "AO", inst, "AA", card, "AC", "", "AD", pin, "BK", txID))
}

// ItemInfo sends 17.
func (c *Client) ItemInfo(inst, barcode string) (*Message, error) {
	return c.Do(Req(ItemInfo, c.now(), "AO", inst, "AB", barcode, "AC", ""))
}

// EndSession sends 35.
func (c *Client) EndSession(inst, card, pin string) (*Message, error) {
	return c.Do(Req(EndSession, c.now(), "AO", inst, "AA", card, "AC", "", "AD", pin))
}
