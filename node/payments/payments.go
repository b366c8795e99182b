// Package payments is the client of a card payment provider that speaks
// the Stacks payment protocol: a small HTTP API that a gateway adapter (or
// the test provider, paytest) serves.
//
//	POST /v1/payments        create a payment (Authorization: Bearer <secret>,
//	                         Idempotency-Key: <the attempt's key>); JSON Intent
//	                         in, Payment out (the same payment for the same key)
//	GET  /v1/payments/{id}   the payment, as the provider knows it now
//	GET  {checkout_url}      the provider's hosted page where the patron pays;
//	                         it returns the browser to the intent's return URL
//
// When a payment ends the provider POSTs the Payment as JSON to the intent's
// notify URL, signed: header Stacks-Signature "t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>". The library never takes a card
// number: the patron types it on the provider's page.
package payments

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Payment statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusDeclined  = "declined"
	StatusCancelled = "cancelled"
)

// SignatureHeader carries a notification's signature.
const SignatureHeader = "Stacks-Signature"

// Intent is a payment to create.
type Intent struct {
	// Reference is the library's idempotency key of the attempt.
	Reference   string `json:"reference"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	ReturnURL   string `json:"return_url"`
	NotifyURL   string `json:"notify_url,omitempty"`
}

// Payment is a payment as the provider knows it.
type Payment struct {
	ID          string `json:"id"`
	Reference   string `json:"reference"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
	CheckoutURL string `json:"checkout_url"`
}

// ErrUnavailable is a provider that cannot be reached or failed.
var ErrUnavailable = errors.New("payments: the provider is unavailable")

// ErrSignature is a notification whose signature does not verify.
var ErrSignature = errors.New("payments: bad signature")

// Config configures a Client.
type Config struct {
	// URL is the provider's base URL, e.g. https://pay.example.org.
	URL string
	// Secret authenticates the library to the provider and signs
	// notifications.
	Secret string
	// HTTP is the client to use; nil means one with a 10-second timeout.
	HTTP *http.Client
	// Tolerance is how old a notification's signature may be; zero
	// means five minutes.
	Tolerance time.Duration
}

// Validate checks the config.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("payments: provider URL %q is not an http(s) URL", c.URL)
	}
	if len(c.Secret) < 16 {
		return errors.New("payments: the provider secret is shorter than 16 characters")
	}
	return nil
}

// Client talks to a provider.
type Client struct {
	cfg  Config
	base string
}

// New makes a client; it does no I/O.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.URL, "/")}, nil
}

// CreatePayment creates a payment for the intent, with its reference as
// the idempotency key: the same reference answers the same payment.
func (c *Client) CreatePayment(ctx context.Context, in Intent) (*Payment, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/payments", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", in.Reference)
	return c.do(req)
}

// Payment asks the provider how a payment stands (the server-to-server
// check that a browser's return or a notification is not taken on trust).
func (c *Client) Payment(ctx context.Context, id string) (*Payment, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/payments/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

func (c *Client) do(req *http.Request) (*Payment, error) {
	req.Header.Set("Authorization", "Bearer "+c.cfg.Secret)
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, resp.Status)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("payments: provider answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var p Payment
	if err := json.Unmarshal(b, &p); err != nil || p.ID == "" {
		return nil, fmt.Errorf("payments: provider's answer is not a payment: %v", err)
	}
	return &p, nil
}

// Sign is the signature header of a notification body at t.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyNotification checks a notification's signature (made within the
// tolerance of now) and decodes its payment.
func (c *Client) VerifyNotification(sig string, body []byte, now time.Time) (*Payment, error) {
	var ts, v1 string
	for _, part := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, ErrSignature
	}
	got, err := hex.DecodeString(v1)
	if err != nil || !hmac.Equal(got, mac(c.cfg.Secret, ts, body)) {
		return nil, ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > c.cfg.Tolerance || d < -c.cfg.Tolerance {
		return nil, fmt.Errorf("%w: too old", ErrSignature)
	}
	var p Payment
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
		return nil, fmt.Errorf("payments: notification is not a payment: %v", err)
	}
	return &p, nil
}

// Origin is the provider's scheme and host (its checkout pages are
// there): the web allows forms to lead there and redirects nowhere else.
func (c *Client) Origin() string {
	u, _ := url.Parse(c.base)
	return u.Scheme + "://" + u.Host
}
