// Package peersync is the node-to-node anti-entropy protocol over HTTP:
// a server for pulls and pushes of op frames, and a syncer that runs it
// with each peer. The transport is any Doer (plain HTTP, mutual TLS, a
// tailnet).
package peersync

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"stacks/replicate"
	"sync/atomic"
)

// The node-to-node sync API, versioned and separate from the staff and
// patron API:
//
//	POST /sync/v1/pull  {"vector": {...}}  -> frames of every op the caller lacks
//	POST /sync/v1/push  frames             -> {"vector": {...}, "applied": n}
//
// Both answers carry the server's node ID and version vector in the headers
// X-Stacks-Node and X-Stacks-Vector.
const (
	SyncPullPath = "/sync/v1/pull"
	SyncPushPath = "/sync/v1/push"
	frameContent = "application/x-stacks-ops"
)

// Server serves pulls and pushes from a log.
type Server struct {
	log      *replicate.Log
	validate replicate.Validator
	lg       *slog.Logger
	frameOps int

	// Counters for metrics and status.
	RejectedFrames atomic.Int64
	ServedOps      atomic.Int64
	AcceptedOps    atomic.Int64
}

// NewServer serves log's ops. validate may be nil.
func NewServer(log *replicate.Log, validate replicate.Validator, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if validate == nil {
		validate = func(replicate.Op) error { return nil }
	}
	return &Server{log: log, validate: validate, lg: logger.With("subsystem", "sync"), frameOps: 2000}
}

func vectorFromJSON(m map[string]uint64) (replicate.VersionVector, error) {
	vv := replicate.VersionVector{}
	for k, v := range m {
		id, err := replicate.ParseNodeID(k)
		if err != nil {
			return nil, err
		}
		vv[id] = v
	}
	return vv, nil
}

// Register mounts the sync routes on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+SyncPullPath, s.servePull)
	mux.HandleFunc("POST "+SyncPushPath, s.servePush)
}

func (s *Server) headers(w http.ResponseWriter, ctx context.Context) (replicate.VersionVector, error) {
	vv, err := s.log.VersionVector(ctx)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(vv)
	w.Header().Set("X-Stacks-Node", s.log.Node().String())
	w.Header().Set("X-Stacks-Vector", string(b))
	return vv, nil
}

func (s *Server) servePull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Node   string            `json:"node"`
		Vector map[string]uint64 `json:"vector"`
		MaxOps int               `json:"max_ops"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad pull request: "+err.Error(), http.StatusBadRequest)
		return
	}
	have, err := vectorFromJSON(req.Vector)
	if err != nil {
		http.Error(w, "bad pull request: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if _, err := s.headers(w, ctx); err != nil {
		http.Error(w, "sync unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", frameContent)
	flusher, _ := w.(http.Flusher)
	sent := 0
	var buf []byte
	for {
		limit := s.frameOps
		if req.MaxOps > 0 && req.MaxOps-sent < limit {
			limit = req.MaxOps - sent
		}
		if limit <= 0 {
			break
		}
		ops, err := s.log.Ops(ctx, have, limit)
		if err != nil {
			s.lg.Warn("pull: reading ops failed", "err", err, "peer", req.Node)
			return // the client sees a cut stream and resumes next time
		}
		if len(ops) == 0 {
			break
		}
		buf = replicate.EncodeFrame(buf[:0], ops)
		if _, err := w.Write(buf); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		for _, op := range ops {
			if op.Counter > have[op.Origin] {
				have[op.Origin] = op.Counter
			}
		}
		sent += len(ops)
	}
	s.ServedOps.Add(int64(sent))
}

func (s *Server) servePush(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	applied, err := replicate.IntegrateStream(ctx, s.log, s.validate, io.LimitReader(r.Body, 256<<20))
	s.AcceptedOps.Add(int64(applied))
	if err != nil {
		if errors.Is(err, replicate.ErrBadFrame) {
			s.RejectedFrames.Add(1)
		}
		s.lg.Warn("push rejected", "err", err, "applied_before", applied, "from", r.RemoteAddr)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	vv, err := s.headers(w, ctx)
	if err != nil {
		http.Error(w, "sync unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"vector": vv, "applied": applied})
}
