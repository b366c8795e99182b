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
	"strconv"
	"sync/atomic"
)

// The node-to-node sync API, versioned and separate from the staff and
// patron API:
//
//	POST /sync/v1/pull  {"vector": {...}}  -> frames of every op the caller lacks
//	POST /sync/v1/push  frames             -> {"vector": {...}, "applied": n}
//
// Both answers carry the server's node ID and version vector in the headers
// X-Stacks-Node and X-Stacks-Vector, and, when the server knows it, the
// cluster's stable vector in X-Stacks-Stable (ops at or below it are held
// by every replica and may be compacted away; a peer that does not send it
// simply makes the caller compact nothing).
//
// Frame versions are negotiated: a caller lists the frame versions it
// reads in X-Stacks-Frames on a pull, and the server answers in the newest
// it writes of those, named in X-Stacks-Frame-Version (406 with the problem
// code frame_version_unsupported if there is none); every answer lists the
// versions the server reads in X-Stacks-Frames, and a push names its
// frames' version in X-Stacks-Frame-Version. A node that sends no
// X-Stacks-Frames is a node from before negotiation: it gets version 1,
// exactly as before; a server that answers none reads version 1.
//
// A pull whose vector lacks ops the server has compacted away is answered
// 410 Gone with a JSON problem {"code": "rebootstrap_required", ...} and
// the same headers and its compaction floors in X-Stacks-Compacted: the
// caller can still push what the server lacks, then must start again from
// a snapshot of a peer's state (unless its vector has meanwhile passed the
// floors, through another peer: then the refused request was merely stale,
// and a new pull is served).
const (
	SyncPullPath = "/sync/v1/pull"
	SyncPushPath = "/sync/v1/push"
	frameContent = "application/x-stacks-ops"

	headerStable = "X-Stacks-Stable"
	// headerCompacted carries the server's compaction floors on a 410.
	headerCompacted = "X-Stacks-Compacted"
	// headerFrames lists the frame versions a node reads.
	headerFrames = "X-Stacks-Frames"
	// headerFrameVersion names the version of a body's frames.
	headerFrameVersion = "X-Stacks-Frame-Version"
	// CodeFrameVersion is the problem code of a request in no frame
	// version this node speaks.
	CodeFrameVersion = "frame_version_unsupported"
	// CodeRebootstrap is the problem code of a pull refused because ops it
	// needs were compacted away.
	CodeRebootstrap = "rebootstrap_required"
)

// Server serves pulls and pushes from a log.
type Server struct {
	log      *replicate.Log
	validate replicate.Validator
	lg       *slog.Logger
	frameOps int

	stable      atomic.Pointer[func(context.Context) replicate.VersionVector]
	rebootstrap atomic.Pointer[func(node string, err *replicate.CompactedError)]
	// legacy: behave as a node from before frame version negotiation
	// (tests of mixed-version clusters).
	legacy atomic.Bool

	// Counters for metrics and status.
	RejectedFrames atomic.Int64
	// Rebootstraps counts pulls refused as below the compaction point.
	Rebootstraps atomic.Int64
	ServedOps    atomic.Int64
	AcceptedOps  atomic.Int64
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

// SetStable makes every answer carry the stable vector fn returns (nil or
// empty: no header).
func (s *Server) SetStable(fn func(context.Context) replicate.VersionVector) { s.stable.Store(&fn) }

// OnRebootstrap is told of every pull refused because the caller (its
// X-Stacks-From-Node, or the node named in the request) lacks ops
// compacted away here.
func (s *Server) OnRebootstrap(fn func(node string, err *replicate.CompactedError)) {
	s.rebootstrap.Store(&fn)
}

// SetLegacyProtocol makes the server behave as a node from before frame
// version negotiation: it sends no frame version headers and ignores the
// caller's. For tests and simulations of a cluster upgraded node by node.
func (s *Server) SetLegacyProtocol(on bool) { s.legacy.Store(on) }

// refuseVersion answers a request in no frame version this node speaks.
func refuseVersion(w http.ResponseWriter, status int, err error) {
	w.Header().Set(headerFrames, replicate.FormatFrameVersions(replicate.FrameVersions()))
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": "No frame version in common", "status": status,
		"code": CodeFrameVersion, "detail": err.Error()})
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
	if !s.legacy.Load() {
		w.Header().Set(headerFrames, replicate.FormatFrameVersions(replicate.FrameVersions()))
	}
	if fn := s.stable.Load(); fn != nil && *fn != nil {
		if st := (*fn)(ctx); len(st) > 0 {
			sb, _ := json.Marshal(st)
			w.Header().Set(headerStable, string(sb))
		}
	}
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
	version := 1
	if !s.legacy.Load() {
		if version, err = replicate.NegotiateFrameVersion(r.Header.Get(headerFrames)); err != nil {
			s.lg.Warn("pull refused: no frame version in common", "peer", req.Node, "err", err)
			refuseVersion(w, http.StatusNotAcceptable, err)
			return
		}
	}
	ctx := r.Context()
	if _, err := s.headers(w, ctx); err != nil {
		http.Error(w, "sync unavailable", http.StatusServiceUnavailable)
		return
	}
	if err := s.log.CheckServable(ctx, have); err != nil {
		var ce *replicate.CompactedError
		if !errors.As(err, &ce) {
			http.Error(w, "sync unavailable", http.StatusServiceUnavailable)
			return
		}
		s.Rebootstraps.Add(1)
		s.lg.Warn("pull refused: the caller lacks ops compacted away here; it must re-bootstrap", "peer", req.Node, "err", err)
		if fn := s.rebootstrap.Load(); fn != nil && *fn != nil {
			(*fn)(req.Node, ce)
		}
		if floors, err := s.log.CompactedVector(ctx); err == nil {
			fb, _ := json.Marshal(floors)
			w.Header().Set(headerCompacted, string(fb))
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusGone)
		json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": "Re-bootstrap needed", "status": http.StatusGone,
			"code": CodeRebootstrap, "detail": ce.Error(), "origin": ce.Origin.String(), "have": ce.Have, "compacted_to": ce.Floor})
		return
	}
	w.Header().Set("Content-Type", frameContent)
	if !s.legacy.Load() {
		w.Header().Set(headerFrameVersion, strconv.Itoa(version))
	}
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
	if v := r.Header.Get(headerFrameVersion); v != "" && !s.legacy.Load() {
		if _, err := replicate.NegotiateFrameVersion(v); err != nil {
			s.lg.Warn("push refused: frames in a version this node does not read", "from", r.RemoteAddr, "err", err)
			refuseVersion(w, http.StatusUnsupportedMediaType, err)
			return
		}
	}
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
