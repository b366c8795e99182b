package peersync

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// Hosts maps host names to the handlers that serve them in this process:
// the node-to-node API of each node of a test or a simulation.
type Hosts struct {
	mu sync.RWMutex
	h  map[string]http.Handler
}

// NewHosts returns an empty set of hosts.
func NewHosts() *Hosts { return &Hosts{h: map[string]http.Handler{}} }

// Handle serves host with h (nil: the host is gone).
func (hs *Hosts) Handle(host string, h http.Handler) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if h == nil {
		delete(hs.h, host)
		return
	}
	hs.h[host] = h
}

// HandleServer serves host with a sync server's routes.
func (hs *Hosts) HandleServer(host string, s *Server) {
	mux := http.NewServeMux()
	s.Register(mux)
	hs.Handle(host, mux)
}

func (hs *Hosts) lookup(host string) http.Handler {
	hs.mu.RLock()
	defer hs.mu.RUnlock()
	return hs.h[host]
}

// Network carries the exchanges of an InProcess transport, as a simulated
// network would. Carry returns once the exchange is over: it calls
// x.Serve to deliver the request (not at all: the request was lost; more
// than once: it was duplicated), may Cut the answer, and returns an error
// for an exchange that failed (the request or its answer lost, the peer
// unreachable); it may take as long as it likes (a delay). The caller reads
// the first answer.
type Network interface {
	Carry(ctx context.Context, x *Exchange) error
}

// InProcess is a Doer that serves each request with the handler of its
// URL's host, in this process and without sockets, so that tests and
// simulations run the real syncer against the real server (as
// hashicorp/raft's in-memory transport carries its real protocol). Net, if
// set, carries each exchange and decides its fate; nil delivers every
// request once, at once.
type InProcess struct {
	Hosts *Hosts
	Net   Network
}

var _ Doer = (*InProcess)(nil)

// Do sends r to the handler of r.URL.Host through the network.
func (d *InProcess) Do(r *http.Request) (*http.Response, error) {
	if d.Hosts.lookup(r.URL.Host) == nil {
		return nil, fmt.Errorf("peersync: no host %q in this process", r.URL.Host)
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	x := &Exchange{Host: r.URL.Host, Path: r.URL.Path, ctx: r.Context(), req: r, body: body, hosts: d.Hosts, cut: -1}
	if d.Net == nil {
		x.Serve()
	} else if err := d.Net.Carry(r.Context(), x); err != nil {
		return nil, err
	}
	if x.answer == nil {
		return nil, fmt.Errorf("peersync: no answer from %s", r.URL.Host)
	}
	a := x.answer
	out := a.body.Bytes()
	if x.cut >= 0 && x.cut < len(out) {
		out = out[:x.cut]
	}
	return &http.Response{
		Status:        strconv.Itoa(a.code) + " " + http.StatusText(a.code),
		StatusCode:    a.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        a.header,
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       r,
	}, nil
}

// Exchange is one request of an InProcess transport in flight, and its
// answer.
type Exchange struct {
	// Host and Path are where the request goes (e.g. "B01",
	// SyncPushPath).
	Host, Path string

	ctx    context.Context
	req    *http.Request
	body   []byte
	hosts  *Hosts
	answer *recorder
	cut    int
}

// Serve delivers the request to whatever serves its host now (a node
// restarted meanwhile serves it with its new server). The first
// delivery's answer is what the caller reads; a later one is a duplicate,
// whose answer goes nowhere. It is not cancelled with the caller's
// context: a duplicate may arrive after the caller gave up. It returns
// this delivery's answer.
func (x *Exchange) Serve() (status int, body []byte) {
	r := x.req.Clone(context.WithoutCancel(x.ctx))
	r.Body = io.NopCloser(bytes.NewReader(x.body))
	r.ContentLength = int64(len(x.body))
	r.RemoteAddr = "in-process"
	r.RequestURI = x.req.URL.RequestURI()
	w := &recorder{header: http.Header{}}
	if h := x.hosts.lookup(x.Host); h != nil {
		h.ServeHTTP(w, r)
	} else {
		http.Error(w, "no host "+x.Host, http.StatusBadGateway)
	}
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if x.answer == nil {
		x.answer = w
	}
	return w.code, w.body.Bytes()
}

// Answer is the first answer's status and body (0 and nil before Serve).
func (x *Exchange) Answer() (status int, body []byte) {
	if x.answer == nil {
		return 0, nil
	}
	return x.answer.code, x.answer.body.Bytes()
}

// Cut lets the caller read only the first n bytes of the answer, as a
// connection dropped in the middle of the stream.
func (x *Exchange) Cut(n int) { x.cut = n }

// recorder is the ResponseWriter of an in-process request.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

func (w *recorder) Flush() {}

var _ http.Flusher = (*recorder)(nil)
