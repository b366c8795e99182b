// Package notify is the notice channels: email through the library's SMTP
// relay, SMS through a provider's HTTP webhook, and print (letters for
// staff to post). It renders each notices.Message with the templates of
// its kind and language (embedded defaults an administrator may replace),
// delivers it with the notice's key as the idempotency key, and serves the
// links notices carry: the open pixel, tracked click redirects and the
// one-click unsubscribe, all signed with the cluster key.
//
// The notice engine (branch/notices) decides what to send and when; this
// package only delivers and classifies failures (an error wrapping
// notices.ErrPermanent, or a temporary one).
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node/branding"
	"stacks/replicate/clock"
)

// STARTTLS policies.
const (
	// StartTLSAuto upgrades to TLS when the relay offers STARTTLS.
	StartTLSAuto = "auto"
	// StartTLSRequired refuses to send through a relay that does not.
	StartTLSRequired = "required"
)

// Config configures the channels. Flags are parsed in cmd/branchd; node
// fills in the cluster key, branding, clock and logger.
type Config struct {
	// SMTPAddr is the library's relay (host:port); empty: no email.
	SMTPAddr string
	// MailFrom is the sender's address (envelope and From).
	MailFrom string
	// StartTLS is StartTLSAuto (the default, "") or StartTLSRequired.
	StartTLS string
	// SMTPUser and SMTPPassword authenticate with AUTH PLAIN when the
	// relay offers it (only over TLS, or to a relay on loopback).
	SMTPUser, SMTPPassword string
	// TLS is the client's TLS configuration for STARTTLS (nil: the
	// system's roots, the relay's host name).
	TLS *tls.Config
	// SMTPTimeout bounds connecting and each SMTP command (default 30s).
	SMTPTimeout time.Duration
	// SMTPConns is how many relay connections are kept open and reused
	// between messages (default 2); negative: a new connection for each.
	SMTPConns int
	// SMTPIdle is how long an unused connection is kept (default 30s).
	SMTPIdle time.Duration
	// HeloName is the name given in EHLO (default: the public URL's host).
	HeloName string
	// UnsubscribeMailto is the address of the List-Unsubscribe mailto
	// (default MailFrom): a mailbox staff read.
	UnsubscribeMailto string

	// SMSWebhook is the SMS provider's webhook URL; empty: no SMS.
	SMSWebhook string
	// SMSToken is the bearer token the webhook wants.
	SMSToken string
	// SMSProvider replaces the webhook (tests, other providers).
	SMSProvider SMSProvider
	// SMSMaxSegments is the most segments one SMS is split into (default 4).
	SMSMaxSegments int
	// HTTPClient carries webhook calls (default: a client with a 15s timeout).
	HTTPClient *http.Client

	// TemplateDir holds templates that replace the embedded ones (same
	// names: en.text.tmpl, en.html.tmpl, fi.text.tmpl, fi.html.tmpl).
	TemplateDir string
	// PublicURL is the base URL of the links in notices (the patron web
	// and /n/); node defaults it to its listener's address.
	PublicURL string

	Branding branding.Branding
	// Currency is the ISO 4217 code of amounts.
	Currency string
	// ClusterKey signs the tokens of links, so any node serves them.
	ClusterKey []byte
	// Tracker records opens and clicks (the notice engine); nil: none.
	Tracker notices.Tracker
	// LinkTTL is how long the links in a notice (the pixel, tracked links,
	// the one-click unsubscribe) work after it was written (default 90
	// days, DefaultLinkTTL); after it they answer a page that says so.
	LinkTTL time.Duration
	// Prefs turns notices off for the unsubscribe link; nil: the link
	// leads to the preferences page only.
	Prefs  Prefs
	Clock  clock.Clock
	Logger *slog.Logger
}

// Prefs is what an unsubscribe needs of patrons' preferences
// (branch/patronprefs).
type Prefs interface {
	Messaging(ctx context.Context, patronID string) (domain.MessagingPrefs, error)
	SetMessaging(ctx context.Context, patronID string, p domain.MessagingPrefs) (domain.MessagingPrefs, error)
}

// DefaultLinkTTL is how long the links in a notice work by default.
const DefaultLinkTTL = 90 * 24 * time.Hour

// DefaultConfig is the defaults of what is not set.
func DefaultConfig() Config {
	return Config{StartTLS: StartTLSAuto, SMTPTimeout: 30 * time.Second, SMTPConns: 2, SMTPIdle: 30 * time.Second,
		SMSMaxSegments: 4, Currency: "USD", Clock: clock.System{}}
}

// Configured reports whether any channel beyond print is set up.
func (c Config) Configured() bool {
	return c.SMTPAddr != "" || c.SMSWebhook != "" || c.SMSProvider != nil
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return fmt.Errorf("notify: --smtp %q is not HOST:PORT", c.SMTPAddr)
		}
		if c.MailFrom == "" {
			return errors.New("notify: email needs a sender address (--mail-from)")
		}
	}
	if c.MailFrom != "" {
		if a, err := mail.ParseAddress(c.MailFrom); err != nil || a.Name != "" {
			return fmt.Errorf("notify: --mail-from %q is not an email address", c.MailFrom)
		}
	}
	if c.UnsubscribeMailto != "" {
		if _, err := mail.ParseAddress(c.UnsubscribeMailto); err != nil {
			return fmt.Errorf("notify: the unsubscribe address %q is not an email address", c.UnsubscribeMailto)
		}
	}
	switch c.StartTLS {
	case "", StartTLSAuto, StartTLSRequired:
	default:
		return fmt.Errorf("notify: --smtp-starttls %q: want auto or required", c.StartTLS)
	}
	if (c.SMTPUser == "") != (c.SMTPPassword == "") {
		return errors.New("notify: SMTP AUTH needs both a user and a password")
	}
	if c.SMSWebhook != "" {
		u, err := url.Parse(c.SMSWebhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("notify: --sms-webhook %q is not an http(s) URL", c.SMSWebhook)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("notify: --public-url %q is not an http(s) URL", c.PublicURL)
		}
	}
	return c.Branding.Validate()
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.StartTLS == "" {
		c.StartTLS = d.StartTLS
	}
	if c.SMTPTimeout <= 0 {
		c.SMTPTimeout = d.SMTPTimeout
	}
	if c.SMTPConns == 0 {
		c.SMTPConns = d.SMTPConns
	}
	if c.SMTPIdle <= 0 {
		c.SMTPIdle = d.SMTPIdle
	}
	if c.SMSMaxSegments <= 0 {
		c.SMSMaxSegments = d.SMSMaxSegments
	}
	if c.Currency == "" {
		c.Currency = d.Currency
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = DefaultLinkTTL
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.UnsubscribeMailto == "" {
		c.UnsubscribeMailto = c.MailFrom
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// ErrNoChannel is returned (wrapping notices.ErrPermanent) for a message
// whose channel is not configured on this node.
var ErrNoChannel = errors.New("notify: channel not configured")

// Notifier delivers notices through the configured channels. It
// implements notices.Sender.
type Notifier struct {
	cfg       Config
	lg        *slog.Logger
	brand     branding.Branding
	tmpl      templates
	tokens    signer
	publicURL string

	mu      sync.Mutex
	tracker notices.Tracker

	email *emailSender
	sms   *smsSender
}

var _ notices.Sender = (*Notifier)(nil)

// New checks cfg and parses the templates. It does no network I/O.
func New(cfg Config) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.ClusterKey) < 16 {
		return nil, errors.New("notify: the cluster key is shorter than 16 bytes")
	}
	cfg = cfg.withDefaults()
	t, err := loadTemplates(cfg.TemplateDir)
	if err != nil {
		return nil, err
	}
	n := &Notifier{cfg: cfg, lg: cfg.Logger.With("subsystem", "notify"), brand: cfg.Branding.WithDefaults(), tmpl: t,
		tokens: newSigner(cfg.ClusterKey), publicURL: cfg.PublicURL, tracker: cfg.Tracker}
	if cfg.SMTPAddr != "" {
		n.email = newEmailSender(n)
	}
	switch {
	case cfg.SMSProvider != nil:
		n.sms = &smsSender{n: n, p: cfg.SMSProvider}
	case cfg.SMSWebhook != "":
		n.sms = &smsSender{n: n, p: &Webhook{URL: cfg.SMSWebhook, Token: cfg.SMSToken, Client: cfg.HTTPClient}}
	}
	return n, nil
}

// SetTracker sets who records opens and clicks (the engine, once it runs).
func (n *Notifier) SetTracker(t notices.Tracker) {
	n.mu.Lock()
	n.tracker = t
	n.mu.Unlock()
}

func (n *Notifier) trackerOf() notices.Tracker {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.tracker
}

// Has reports whether channel is configured here (print always is).
func (n *Notifier) Has(channel string) bool {
	switch channel {
	case notices.ChannelEmail:
		return n.email != nil
	case notices.ChannelSMS:
		return n.sms != nil
	case notices.ChannelPrint:
		return true
	}
	return false
}

// Send delivers m through its channel: nil once the channel accepted it;
// an error wrapping notices.ErrPermanent when it never can; any other
// error is temporary.
func (n *Notifier) Send(ctx context.Context, m notices.Message) error {
	if !n.Has(m.Channel) {
		return fmt.Errorf("%w: %w: %q", notices.ErrPermanent, ErrNoChannel, m.Channel)
	}
	if m.Key == "" {
		return fmt.Errorf("%w: notify: a message without a key", notices.ErrPermanent)
	}
	var err error
	switch m.Channel {
	case notices.ChannelEmail:
		err = n.email.send(ctx, m)
	case notices.ChannelSMS:
		err = n.sms.send(ctx, m)
	case notices.ChannelPrint:
		err = n.checkPrint(m)
	}
	if err != nil {
		n.lg.Info("notice not sent", "key", m.Key, "kind", m.Kind, "channel", m.Channel,
			"permanent", errors.Is(err, notices.ErrPermanent), "err", err)
	}
	return err
}

// Close closes the relay connections kept open.
func (n *Notifier) Close() error {
	if n.email != nil {
		n.email.close()
	}
	return nil
}
