package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// The routes, on the node-to-node API beside the sync routes (and behind
// the same peer authorisation):
//
//	POST /sync/v1/snapshot       -> 200 Info of a ready snapshot (made now, or
//	                                one made within Reuse), or 202 while it
//	                                is being made (ask again)
//	GET  /sync/v1/snapshot/{id}  -> the file; Range and If-Range honoured,
//	                                ETag "<sha256>", X-Stacks-Snapshot-SHA256
//	                                and Repr-Digest headers; 404 once gone
const (
	Path        = "/sync/v1/snapshot"
	HeaderSHA   = "X-Stacks-Snapshot-SHA256"
	contentType = "application/vnd.sqlite3"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	DB *replicate.DB
	// Dir holds the kept snapshot files; the server owns it (files left
	// from an earlier run are removed when Run starts).
	Dir   string
	Node  replicate.NodeID
	Scrub Scrub
	// Clock times the keeping of snapshots (nil: the system clock).
	Clock  clock.Clock
	Logger *slog.Logger
	// Keep is how long a snapshot is kept after it was last asked for
	// (default an hour), so a cut download can resume; Reuse is the age
	// under which a new request is given the newest snapshot instead of a
	// new one (default 5 minutes); MaxKept caps the files kept (default 2).
	Keep, Reuse time.Duration
	MaxKept     int
	// Wait is how long a request waits for a snapshot being made before
	// it is answered 202 (default 20 s).
	Wait time.Duration
	// Generation, if set, names what a kept snapshot must still agree with
	// to be served (e.g. the count of erasures): a snapshot made before it
	// changed is deleted, never served, so an erased patron's data does not
	// leave in an old snapshot.
	Generation func(context.Context) (string, error)
}

// Server makes and serves snapshots.
type Server struct {
	cfg ServerConfig
	lg  *slog.Logger

	want chan struct{} // a request for a new snapshot; Run makes it

	mu      sync.Mutex
	kept    map[string]*kept
	made    chan struct{} // closed (and replaced) when Run finishes a making
	lastErr error
}

type kept struct {
	info Info
	path string
	gen  string
	used time.Time
}

// NewServer returns a server. It does no I/O; call Run.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keep <= 0 {
		cfg.Keep = time.Hour
	}
	if cfg.Reuse <= 0 {
		cfg.Reuse = 5 * time.Minute
	}
	if cfg.MaxKept <= 0 {
		cfg.MaxKept = 2
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 20 * time.Second
	}
	return &Server{cfg: cfg, lg: cfg.Logger.With("subsystem", "snapshot"), want: make(chan struct{}, 1),
		kept: map[string]*kept{}, made: make(chan struct{})}
}

// Register mounts the snapshot routes on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+Path, s.serveCreate)
	mux.HandleFunc("GET "+Path+"/{id}", s.serveFile)
	mux.HandleFunc("HEAD "+Path+"/{id}", s.serveFile)
}

// Run makes the snapshots asked for and removes those past their time,
// until ctx is done; then it removes every kept file.
func (s *Server) Run(ctx context.Context) {
	if err := os.MkdirAll(s.cfg.Dir, 0o750); err != nil {
		s.lg.Error("snapshots cannot be served", "err", err)
	}
	s.removeAll()
	t, tick := s.cfg.Clock.NewTicker(time.Minute)
	defer t.Stop()
	defer s.removeAll()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.want:
			s.make(ctx)
		case <-tick:
			s.sweep(ctx)
		}
	}
}

// Snapshot makes a snapshot now (or returns one made within Reuse), for
// callers in the same process; the server must be running.
func (s *Server) Snapshot(ctx context.Context) (Info, error) {
	for {
		gen, err := s.generation(ctx)
		if err != nil {
			return Info{}, err
		}
		s.mu.Lock()
		if k := s.fresh(gen); k != nil {
			s.mu.Unlock()
			return k.info, nil
		}
		made := s.made
		s.mu.Unlock()
		select {
		case s.want <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return Info{}, ctx.Err()
		case <-made:
		}
		s.mu.Lock()
		err = s.lastErr
		s.mu.Unlock()
		if err != nil {
			return Info{}, err
		}
	}
}

func (s *Server) generation(ctx context.Context) (string, error) {
	if s.cfg.Generation == nil {
		return "", nil
	}
	return s.cfg.Generation(ctx)
}

// fresh is the newest snapshot young enough to reuse, marked used; s.mu
// held.
func (s *Server) fresh(gen string) *kept {
	now := s.cfg.Clock.Now()
	var best *kept
	for _, k := range s.kept {
		if k.gen == gen && now.Sub(k.info.CreatedAt) < s.cfg.Reuse && (best == nil || k.info.CreatedAt.After(best.info.CreatedAt)) {
			best = k
		}
	}
	if best != nil {
		best.used = now
	}
	return best
}

func (s *Server) make(ctx context.Context) {
	info, err := s.makeOne(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err
	close(s.made)
	s.made = make(chan struct{})
	if err != nil {
		if ctx.Err() == nil {
			s.lg.Error("making a snapshot failed", "err", err)
		}
		return
	}
	s.lg.Info("snapshot made", "id", info.ID, "bytes", info.Size, "sha256", info.SHA256, "vector", fmt.Sprint(info.Vector))
}

func (s *Server) makeOne(ctx context.Context) (Info, error) {
	gen, err := s.generation(ctx)
	if err != nil {
		return Info{}, err
	}
	s.mu.Lock()
	if k := s.fresh(gen); k != nil { // made for an earlier request
		s.mu.Unlock()
		return k.info, nil
	}
	s.mu.Unlock()
	now := s.cfg.Clock.Now().UTC()
	tmp := filepath.Join(s.cfg.Dir, "making.part")
	os.Remove(tmp)
	vv, err := Make(ctx, s.cfg.DB, tmp, s.cfg.Scrub)
	if err != nil {
		return Info{}, err
	}
	sum, size, err := fileSHA256(tmp)
	if err != nil {
		os.Remove(tmp)
		return Info{}, err
	}
	id := now.Format("20060102T150405Z") + "-" + sum[:16]
	path := filepath.Join(s.cfg.Dir, id+".db")
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return Info{}, err
	}
	info := Info{ID: id, SHA256: sum, Size: size, Node: s.cfg.Node.String(), Vector: vectorMap(vv), CreatedAt: now, Format: Format}
	s.mu.Lock()
	s.kept[id] = &kept{info: info, path: path, gen: gen, used: now}
	s.trim()
	s.mu.Unlock()
	return info, nil
}

// trim removes the least recently used snapshots beyond MaxKept; s.mu held.
func (s *Server) trim() {
	if len(s.kept) <= s.cfg.MaxKept {
		return
	}
	ks := make([]*kept, 0, len(s.kept))
	for _, k := range s.kept {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].used.After(ks[j].used) })
	for _, k := range ks[s.cfg.MaxKept:] {
		s.drop(k, "replaced by newer snapshots")
	}
}

// drop removes a kept snapshot; s.mu held. A download in progress goes on
// reading its open file.
func (s *Server) drop(k *kept, why string) {
	delete(s.kept, k.info.ID)
	if err := os.Remove(k.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.lg.Warn("removing a snapshot failed", "id", k.info.ID, "err", err)
		return
	}
	s.lg.Info("snapshot removed", "id", k.info.ID, "why", why)
}

// sweep removes snapshots past Keep and those made before the generation
// changed.
func (s *Server) sweep(ctx context.Context) {
	gen, err := s.generation(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	for _, k := range s.kept {
		switch {
		case err == nil && k.gen != gen:
			s.drop(k, "made before an erasure")
		case now.Sub(k.used) > s.cfg.Keep:
			s.drop(k, "not asked for in "+s.cfg.Keep.String())
		}
	}
}

func (s *Server) removeAll() {
	s.mu.Lock()
	s.kept = map[string]*kept{}
	s.mu.Unlock()
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".db") || strings.HasSuffix(n, ".part") || strings.HasSuffix(n, "-journal") {
			os.Remove(filepath.Join(s.cfg.Dir, n))
		}
	}
}

func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Wait)
	defer cancel()
	info, err := s.Snapshot(ctx)
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info)
	case ctx.Err() != nil && r.Context().Err() == nil:
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"state": "preparing"})
	default:
		problem(w, http.StatusServiceUnavailable, "snapshot_failed", "The snapshot could not be made: "+err.Error())
	}
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	gen, gerr := s.generation(r.Context())
	s.mu.Lock()
	k := s.kept[id]
	if k != nil && gerr == nil && k.gen != gen {
		s.drop(k, "made before an erasure")
		k = nil
	}
	if k != nil {
		k.used = s.cfg.Clock.Now()
	}
	s.mu.Unlock()
	if gerr != nil {
		problem(w, http.StatusServiceUnavailable, "snapshot_failed", "Snapshots are unavailable: "+gerr.Error())
		return
	}
	if k == nil {
		problem(w, http.StatusNotFound, "snapshot_gone", "No snapshot "+id+" here (expired, replaced, or made before an erasure): ask for a new one.")
		return
	}
	f, err := os.Open(k.path)
	if err != nil {
		problem(w, http.StatusNotFound, "snapshot_gone", "No snapshot "+id+" here: ask for a new one.")
		return
	}
	defer f.Close()
	raw, _ := hex.DecodeString(k.info.SHA256)
	h := w.Header()
	h.Set("ETag", `"`+k.info.SHA256+`"`)
	h.Set(HeaderSHA, k.info.SHA256)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(raw)+":")
	h.Set("X-Stacks-Node", k.info.Node)
	h.Set("X-Stacks-Snapshot-Size", strconv.FormatInt(k.info.Size, 10))
	h.Set("Content-Type", contentType)
	// A big file outlasts the listener's write timeout: each write gets
	// its own deadline instead, so a stalled peer still lets go.
	http.ServeContent(&deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w)}, r, "", k.info.CreatedAt, f)
}

// deadlineWriter pushes the connection's write deadline forward before
// each write (the listener's WriteTimeout would cut a long download).
type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.rc.SetWriteDeadline(time.Now().Add(time.Minute)) // a socket deadline: wall time
	return d.ResponseWriter.Write(b)
}

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "code": code, "detail": detail})
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
