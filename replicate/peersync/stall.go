package peersync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrStalled is the cause of a pull or push cancelled because the peer
// sent nothing for the syncer's StallTimeout.
var ErrStalled = errors.New("the peer sent nothing")

// stallGuard cancels a request's context once the syncer has waited d
// for the peer without getting anything. It is armed only while the
// syncer waits (for the response headers, inside a read of the body), so
// a long pull that keeps streaming, or a slow apply of what was read,
// never trips it.
type stallGuard struct {
	d      time.Duration
	t      *time.Timer
	cancel context.CancelCauseFunc
	ctx    context.Context
}

func (g *stallGuard) arm() {
	if g.t == nil {
		g.t = time.AfterFunc(g.d, func() { g.cancel(fmt.Errorf("%w for %s", ErrStalled, g.d)) })
		return
	}
	g.t.Reset(g.d)
}

func (g *stallGuard) disarm() {
	if g.t != nil {
		g.t.Stop()
	}
}

// stalled is the guard's error once it has cancelled the request, else nil.
func (g *stallGuard) stalled() error {
	if c := context.Cause(g.ctx); errors.Is(c, ErrStalled) {
		return c
	}
	return nil
}

// do sends req under a stall guard (see SyncerConfig.StallTimeout). The
// response's body keeps the guard: reads of it are guarded too, and
// closing it releases the request's context.
func (s *Syncer) do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	g := &stallGuard{d: s.cfg.StallTimeout, cancel: cancel, ctx: ctx}
	g.arm()
	resp, err := s.cfg.Transport.Do(req.WithContext(ctx))
	g.disarm()
	if err != nil {
		if st := g.stalled(); st != nil {
			err = st
		}
		cancel(nil)
		return nil, err
	}
	resp.Body = &stallBody{rc: resp.Body, g: g}
	return resp, nil
}

// stallBody is a response body read under its request's stall guard.
type stallBody struct {
	rc io.ReadCloser
	g  *stallGuard
}

func (b *stallBody) Read(p []byte) (int, error) {
	b.g.arm()
	n, err := b.rc.Read(p)
	b.g.disarm()
	if err != nil && err != io.EOF {
		if st := b.g.stalled(); st != nil {
			err = st
		}
	}
	return n, err
}

func (b *stallBody) Close() error {
	b.g.disarm()
	err := b.rc.Close()
	b.g.cancel(nil)
	return err
}

// stalledBody is the stall error of a guarded response body, or nil.
func stalledBody(resp *http.Response) error {
	if b, ok := resp.Body.(*stallBody); ok {
		return b.g.stalled()
	}
	return nil
}

// Streaming returns d fit for sync: an *http.Client's overall Timeout,
// which would cut a long pull that keeps streaming, is dropped (the
// syncer's StallTimeout bounds a sync instead); any other Doer is
// returned as it is.
func Streaming(d Doer) Doer {
	if c, ok := d.(*http.Client); ok && c.Timeout != 0 {
		cc := *c
		cc.Timeout = 0
		return &cc
	}
	return d
}
