// Package client is a typed Go client of a Stacks node's HTTP JSON API
// (/api/v1). The staff TUI and the operator CLI use it; it talks real HTTP
// and turns problem+json answers back into *domain.Error refusals, so a
// caller can test them with errors.Is(err, branch.ErrPatronBlocked).
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// DefaultTimeout bounds one request unless the config says otherwise.
const DefaultTimeout = 10 * time.Second

// Config configures a Client.
type Config struct {
	// BaseURL is the node's address, e.g. http://127.0.0.1:8080.
	BaseURL string
	// HTTP is the transport; nil means a client with Timeout.
	HTTP *http.Client
	// Timeout bounds each request when HTTP is nil; 0 means DefaultTimeout.
	Timeout time.Duration
	// Channel, when set, is sent as X-Stacks-Channel (desk, kiosk, ...).
	Channel string
	// Language, when set (en, fi), is sent as Accept-Language: the
	// language of the patron-facing texts the node answers (digital
	// lending's refusals).
	Language string
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("client: base URL must be http:// or https:// with a host, got %q", c.BaseURL)
	}
	if c.Timeout < 0 {
		return errors.New("client: negative timeout")
	}
	return nil
}

// Client calls one node's API, optionally as one staff login. It is safe
// for concurrent use and never changes after New or WithLogin.
type Client struct {
	base    string
	hc      *http.Client
	channel string
	lang    string
	user    string
	pass    string
	// token, when set, is a session token sent as Bearer instead of the
	// Basic login.
	token string
}

// New returns a client of the node at cfg.BaseURL. It does no I/O.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := cfg.HTTP
	if hc == nil {
		t := cfg.Timeout
		if t == 0 {
			t = DefaultTimeout
		}
		hc = &http.Client{Timeout: t}
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), hc: hc, channel: cfg.Channel, lang: cfg.Language}, nil
}

// WithLogin returns a copy of c that sends a staff login with every request
// (HTTP Basic), as scripts do; interactive clients use Login for a token.
func (c *Client) WithLogin(username, password string) *Client {
	cc := *c
	cc.user, cc.pass, cc.token = username, password, ""
	return &cc
}

// WithToken returns a copy of c that sends a session token with every
// request (Authorization: Bearer).
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.user, cc.pass, cc.token = "", "", token
	return &cc
}

// Login exchanges a staff username and password for a session token
// (POST /api/v1/auth/login) and returns a copy of c that sends it. The
// token is valid on every node of the cluster until it expires.
func (c *Client) Login(ctx context.Context, username, password string) (*Client, *apitype.Session, error) {
	var s apitype.Session
	anon := c.WithToken("")
	if err := anon.do(ctx, "POST", pathOf("auth", "login"), nil, apitype.LoginRequest{Username: username, Password: password}, &s); err != nil {
		return nil, nil, err
	}
	cc := c.WithToken(s.Token)
	cc.user = s.Username
	return cc, &s, nil
}

// BaseURL is the node's address.
func (c *Client) BaseURL() string { return c.base }

// Username is the staff login the client acts as, or "".
func (c *Client) Username() string { return c.user }

// Error is a refusal or failure reported by the API as problem+json. It
// unwraps to the *domain.Error with the same code, so errors.Is works with
// branch's sentinels.
type Error struct {
	Status      int
	Code        domain.Code
	Detail      string
	Overridable bool
	// Permission is the permission the login lacked (403 not_permitted).
	Permission string
}

// IsNotPermitted reports whether err is the API refusing the login (or its
// absence): 401, or 403 for want of a permission.
func IsNotPermitted(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Code == domain.CodeNotPermitted)
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
}

// Unwrap is the branch refusal this error carries.
func (e *Error) Unwrap() error {
	return &domain.Error{Code: e.Code, Message: e.Detail, Overridable: e.Overridable}
}

// ErrUnreachable wraps a failure to reach the node at all (refused, timed
// out, reset): the appliance is offline from where the client stands.
var ErrUnreachable = errors.New("client: node unreachable")

// IsUnreachable reports whether err means the node could not be reached.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// do sends one request with a JSON body (if in is not nil) and decodes a
// JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != "":
		req.SetBasicAuth(c.user, c.pass)
	}
	if c.channel != "" {
		req.Header.Set(apitype.HeaderChannel, c.channel)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%w: reading %s %s: %v", ErrUnreachable, method, path, err)
	}
	if resp.StatusCode >= 300 {
		return problemOf(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: %s %s: bad JSON answer: %w", method, path, err)
	}
	return nil
}

// problemOf reads a problem+json answer; anything else becomes an Error
// with the status alone.
func problemOf(status int, b []byte) error {
	var p apitype.Problem
	if json.Unmarshal(b, &p) != nil || p.Code == "" {
		p.Code = "http_" + fmt.Sprint(status)
		p.Detail = fmt.Sprintf("The appliance answered %d %s.", status, http.StatusText(status))
	}
	return &Error{Status: status, Code: domain.Code(p.Code), Detail: p.Detail, Overridable: p.Overridable, Permission: p.Permission}
}

// pathOf joins escaped path segments under /api/v1.
func pathOf(segs ...string) string {
	var sb strings.Builder
	sb.WriteString("/api/v1")
	for _, s := range segs {
		sb.WriteByte('/')
		sb.WriteString(url.PathEscape(s))
	}
	return sb.String()
}

// page asks for one page of a list.
func page(q url.Values, perPage int) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if perPage > 0 {
		q.Set(apitype.ParamPerPage, fmt.Sprint(perPage))
	}
	return q
}
