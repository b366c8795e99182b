// Package smstest is an SMS provider for tests: a real HTTP service that
// takes the webhook of package notify (a JSON POST with an Idempotency-Key
// and a bearer token) and keeps what it was sent. A key sent twice is
// delivered once, as real providers do with idempotency keys.
package smstest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"stacks/node/notify"
)

// Server is the test provider.
type Server struct {
	// URL is the webhook's address; Token the bearer token it wants.
	URL, Token string

	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	received []Received
	byKey    map[string]int
	refuse   map[string]int // number -> status
	fail     int            // answer the next fail requests with 503
	requests int
}

// Received is one SMS the provider took.
type Received struct {
	notify.SMS
	IdempotencyKey string
}

// Start runs a provider on 127.0.0.1 until Close.
func Start(token string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Token: token, ln: ln, URL: "http://" + ln.Addr().String() + "/sms", byKey: map[string]int{}, refuse: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sms", s.serve)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the provider.
func (s *Server) Close() error { return s.srv.Close() }

// Refuse makes the provider answer status for number (e.g. 400: not a
// mobile number).
func (s *Server) Refuse(number string, status int) {
	s.mu.Lock()
	s.refuse[number] = status
	s.mu.Unlock()
}

// FailNext makes the next n requests fail with 503.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Received is every SMS delivered, in order, once per key.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Requests is how many webhook calls arrived.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if s.fail > 0 {
		s.fail--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		http.Error(w, "Idempotency-Key required", http.StatusBadRequest)
		return
	}
	var m notify.SMS
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m); err != nil || m.To == "" || m.Text == "" {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	if st, ok := s.refuse[m.To]; ok {
		http.Error(w, "number refused", st)
		return
	}
	if strings.Join(m.Parts, "") != m.Text {
		http.Error(w, "parts do not make the text", http.StatusBadRequest)
		return
	}
	if _, dup := s.byKey[key]; !dup {
		s.byKey[key] = len(s.received)
		s.received = append(s.received, Received{SMS: m, IdempotencyKey: key})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"accepted"}`))
}
