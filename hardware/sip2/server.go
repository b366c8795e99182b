package sip2

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"stacks/branch/domain"
)

// Config configures the ACS server.
type Config struct {
	Library Library
	// PINs checks patron PINs, with a lockout shared by every session
	// (see Lockout). Required.
	PINs   PINVerifier
	Logger *slog.Logger
	// Currency is the ISO 4217 code sent in BH.
	Currency string
	// RequirePIN refuses transactions for a patron who has not given a
	// right PIN in the message (AD) or earlier in the session.
	RequirePIN bool
	// IdleTimeout closes a session that sends nothing for this long.
	IdleTimeout time.Duration
	// MessageTimeout bounds the time from a message's first byte to its
	// terminator (slow senders are cut off).
	MessageTimeout time.Duration
	// WriteTimeout bounds writing one response.
	WriteTimeout time.Duration
	// MaxMessage is the longest message accepted, in bytes.
	MaxMessage int
	// MaxConns bounds concurrent sessions; more are refused.
	MaxConns int
	// SortBins names the sorting bin (CL) for each checkin action
	// (domain.ActionShelve, ActionHoldShelf, ActionTransit).
	SortBins map[string]string
	// Sorter, if set, picks the bin instead of SortBins (rules by item
	// type, home branch and holds: hardware/sortbin).
	Sorter SortBinner
	// Observe, if set, is told the type (e.g. "11") and handling time of
	// every message answered (metrics).
	Observe func(msgType string, d time.Duration)
	// PINMemory is how long a session remembers a patron's right PIN
	// without a transaction of theirs (see session.rememberPIN); zero is
	// the default, 5 minutes.
	PINMemory time.Duration
	// Handoff, if set, accepts handoff codes in place of the card or the
	// PIN (handoff.go).
	Handoff HandoffCodes
	// Events, if set, checks in event tickets scanned in place of the
	// card (events.go).
	Events EventTickets
	// Languages are the default languages of answers, by kiosk account,
	// for a kiosk that names none in 23 and 63 before a patron is known;
	// the key "" is every other account's. English when unset.
	Languages map[string]string
}

// DefaultConfig returns the defaults around lib and pins.
func DefaultConfig(lib Library, pins PINVerifier) Config {
	return Config{Library: lib, PINs: pins, Logger: slog.New(slog.DiscardHandler), Currency: "USD", RequirePIN: true,
		IdleTimeout: 15 * time.Minute, MessageTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaxMessage: 8 << 10, MaxConns: 256, PINMemory: 5 * time.Minute,
		SortBins: map[string]string{domain.ActionShelve: "1", domain.ActionHoldShelf: "2", domain.ActionTransit: "3"}}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Library == nil:
		return errors.New("sip2: no library service")
	case c.PINs == nil:
		return errors.New("sip2: no PIN verifier")
	case c.IdleTimeout <= 0 || c.MessageTimeout <= 0 || c.WriteTimeout <= 0:
		return errors.New("sip2: timeouts must be positive")
	case c.MaxMessage < 64:
		return errors.New("sip2: maximum message length too small")
	case c.PINMemory < 0:
		return errors.New("sip2: PIN memory must not be negative")
	case len(c.Currency) != 3:
		return errors.New("sip2: currency must be a 3-letter code")
	}
	for account, l := range c.Languages {
		if !slices.Contains(domain.Languages, l) {
			return fmt.Errorf("sip2: language %q of kiosk account %q is not one we speak (%s)", l, account, strings.Join(domain.Languages, ", "))
		}
	}
	return nil
}

// Server is the ACS: it serves SIP2 sessions on a listener.
type Server struct {
	cfg Config
	lib parts
	lg  *slog.Logger

	mu      sync.Mutex
	lns     map[net.Listener]bool
	conns   map[net.Conn]bool
	closing bool
	// cancels end the contexts of every Serve's sessions, at the end of
	// Shutdown.
	cancels  []context.CancelFunc
	sessions sync.WaitGroup
	paid     paidTx
	texts    catalogue
}

// parts are cfg.Library by what the handlers need of it.
type parts struct {
	site      Site
	logins    KioskLogins
	patrons   Patrons
	lists     PatronLists
	catalogue Catalogue
	itemLoans ItemLoans
	items     ItemEditor
	circ      Circulation
	holds     Holds
	payments  Payments
	blocks    Blocks
}

func partsOf(l Library) parts {
	return parts{site: l, logins: l, patrons: l, lists: l, catalogue: l, itemLoans: l, items: l, circ: l, holds: l,
		payments: l, blocks: l}
}

// NewServer returns a server; it does no I/O.
func NewServer(cfg Config) (*Server, error) {
	def := DefaultConfig(cfg.Library, cfg.PINs)
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.Currency == "" {
		cfg.Currency = def.Currency
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = def.MaxMessage
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = def.MaxConns
	}
	if cfg.SortBins == nil {
		cfg.SortBins = def.SortBins
	}
	if cfg.PINMemory == 0 {
		cfg.PINMemory = def.PINMemory
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	texts, err := loadTexts()
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, lib: partsOf(cfg.Library), lg: cfg.Logger.With("subsystem", "sip2"),
		lns: map[net.Listener]bool{}, conns: map[net.Conn]bool{}, texts: texts}, nil
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("sip2: server closed")

// Serve accepts sessions on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.lns[ln] = true
	// The sessions' context: Shutdown cancels it once they have had their
	// grace (it outlives Serve, which returns as soon as ln closes).
	ctx, cancel := context.WithCancel(context.Background())
	s.cancels = append(s.cancels, cancel)
	s.mu.Unlock()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.lg.Warn("accept failed; retrying", "err", err, "in", delay)
				time.Sleep(delay) // back off a failing accept, as net/http does
				continue
			}
			return err
		}
		delay = 0
		s.mu.Lock()
		if s.closing || len(s.conns) >= s.cfg.MaxConns {
			full := !s.closing
			s.mu.Unlock()
			if full {
				s.lg.Warn("too many kiosk sessions; refusing one", "remote", c.RemoteAddr().String(), "max", s.cfg.MaxConns)
			}
			c.Close()
			continue
		}
		s.conns[c] = true
		s.sessions.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.sessions.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.serveConn(ctx, c)
		}()
	}
}

// Shutdown stops accepting, lets each session finish the message it is
// handling, then closes them. After ctx is done, it closes everything.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.SetReadDeadline(time.Now()) // wakes a session waiting for input
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	select {
	case <-done:
		s.cancelSessions()
		return nil
	case <-ctx.Done():
		s.cancelSessions()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func (s *Server) cancelSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cancel := range s.cancels {
		cancel()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// setReadDeadline sets the session's read deadline unless the server is
// shutting down (under the lock Shutdown takes, so a deadline set here never
// undoes the one Shutdown set).
func (ss *session) setReadDeadline(t time.Time) bool {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.srv.closing {
		return false
	}
	ss.conn.SetReadDeadline(t)
	return true
}

// errTooLong is a message over MaxMessage; it is skipped.
var errTooLong = errors.New("sip2: message too long")

// readMessage reads one message, terminated by CR, LF or CRLF. Waiting for
// its first byte is bounded by IdleTimeout, the rest by MessageTimeout.
func (ss *session) readMessage() ([]byte, error) {
	cfg := ss.srv.cfg
	if !ss.setReadDeadline(time.Now().Add(cfg.IdleTimeout)) {
		return nil, ErrServerClosed
	}
	var b byte
	var err error
	for {
		if b, err = ss.br.ReadByte(); err != nil {
			return nil, err
		}
		if b != '\r' && b != '\n' {
			break
		}
	}
	if !ss.setReadDeadline(time.Now().Add(cfg.MessageTimeout)) {
		return nil, ErrServerClosed
	}
	buf := ss.buf[:0]
	tooLong := false
	for {
		if b == '\r' || b == '\n' {
			break
		}
		if len(buf) < cfg.MaxMessage {
			buf = append(buf, b)
		} else {
			tooLong = true
		}
		if b, err = ss.br.ReadByte(); err != nil {
			return nil, err
		}
	}
	ss.buf = buf
	if tooLong {
		return buf, errTooLong
	}
	return buf, nil
}

// serveConn runs one kiosk's session; ctx is the server's, which every
// message's transactions run in.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	ss := &session{srv: s, lib: &s.lib, conn: c, br: bufio.NewReaderSize(c, 4096),
		lg: s.lg.With("remote", c.RemoteAddr().String())}
	ss.lg.Info("kiosk connected")
	defer func() {
		if r := recover(); r != nil {
			// Never reached by any input we know of; a bug must not take the
			// appliance down with it.
			ss.lg.Error("session panicked; closing it", "panic", fmt.Sprint(r))
		}
	}()
	for {
		line, err := ss.readMessage()
		if errors.Is(err, errTooLong) {
			ss.lg.Warn("message too long; skipped", "bytes_kept", len(line), "max", s.cfg.MaxMessage)
			continue
		}
		if err != nil {
			var ne net.Error
			switch {
			case s.isClosing():
				ss.lg.Info("kiosk session closed: shutting down", "kiosk", ss.kiosk)
			case errors.Is(err, io.EOF):
				ss.lg.Info("kiosk disconnected", "kiosk", ss.kiosk)
			case errors.As(err, &ne) && ne.Timeout():
				ss.lg.Warn("kiosk session timed out", "kiosk", ss.kiosk)
			default:
				ss.lg.Warn("kiosk session ended", "kiosk", ss.kiosk, "err", err)
			}
			return
		}
		began := time.Now()
		resp := ss.handle(ctx, line)
		if resp == nil {
			continue
		}
		took := time.Since(began)
		// The answer goes out first (for a transaction, right after its
		// durable commit); metrics after.
		ss.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		out := append(resp, '\r')
		if _, err := ss.conn.Write(out); err != nil {
			ss.lg.Warn("writing a response failed", "kiosk", ss.kiosk, "err", err)
			return
		}
		if s.cfg.Observe != nil && len(line) >= 2 {
			s.cfg.Observe(messageType(line), took)
		}
	}
}

// messageType is a message's two-digit type, or "??" for garbage (so that
// metrics labels stay few).
func messageType(line []byte) string {
	if line[0] >= '0' && line[0] <= '9' && line[1] >= '0' && line[1] <= '9' {
		return string(line[:2])
	}
	return "??"
}
