package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"stacks/replicate/clock"
)

// Doer sends HTTP requests: the node's sync transport (plain HTTP, mutual
// TLS).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// FetchConfig configures Fetch.
type FetchConfig struct {
	// Peer is the base URL of the node-to-node API of the node to fetch
	// from.
	Peer string
	Doer Doer
	// Dir holds the download while it runs: PartFile (the bytes so far)
	// and StateFile (the snapshot's Info), so a later Fetch resumes it.
	Dir    string
	Logger *slog.Logger
	// Clock makes the waits between attempts (nil: the system clock).
	Clock clock.Clock
	// Attempts is how many attempts in a row may fail without a byte of
	// progress before Fetch gives up (default 5); the first retry after
	// progress is immediate, later ones back off up to 10 s.
	Attempts int
}

// The files of a download in progress, in FetchConfig.Dir.
const (
	PartFile  = "snapshot.part"
	StateFile = "snapshot.json"
)

// Fetch downloads a snapshot from the peer into Dir/PartFile, resuming a
// download a previous Fetch left there, and verifies its SHA-256. It
// returns the snapshot's Info once the file is whole and verified; a file
// that fails the check is removed and ErrChecksum returned.
func Fetch(ctx context.Context, cfg FetchConfig) (Info, error) {
	if cfg.Doer == nil {
		cfg.Doer = http.DefaultClient
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	f := &fetcher{cfg: cfg, lg: cfg.Logger.With("subsystem", "snapshot"), peer: strings.TrimRight(cfg.Peer, "/"),
		part: filepath.Join(cfg.Dir, PartFile), state: filepath.Join(cfg.Dir, StateFile)}
	return f.run(ctx)
}

type fetcher struct {
	cfg         FetchConfig
	lg          *slog.Logger
	peer        string
	part, state string

	info   Info
	h      hash.Hash // SHA-256 of the part file's first hashed bytes
	hashed int64
}

func (f *fetcher) run(ctx context.Context) (Info, error) {
	if err := f.loadState(); err != nil {
		return Info{}, err
	}
	fails, restarts := 0, 0
	for {
		if f.info.ID == "" {
			if restarts > 3 {
				return Info{}, fmt.Errorf("snapshot: %s: the snapshot went away %d times during the download", f.peer, restarts)
			}
			restarts++
			if err := f.create(ctx); err != nil {
				return Info{}, err
			}
		}
		have, err := f.size()
		if err != nil {
			return Info{}, err
		}
		if have == f.info.Size {
			return f.verify()
		}
		progress, err := f.get(ctx, have)
		switch {
		case err == nil:
			fails = 0
			continue
		case errors.Is(err, ErrGone):
			f.lg.Warn("snapshot gone from the peer; asking for a new one", "id", f.info.ID, "peer", f.peer)
			f.discard()
			continue
		case ctx.Err() != nil:
			return Info{}, ctx.Err()
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return Info{}, fatal.err
		}
		if progress > 0 {
			fails = 0
		}
		fails++
		f.lg.Warn("snapshot download cut; resuming", "id", f.info.ID, "err", err, "attempt", fails)
		if fails >= f.cfg.Attempts {
			return Info{}, fmt.Errorf("snapshot: download from %s: %w (resume by running again)", f.peer, err)
		}
		if fails > 1 {
			if err := f.wait(ctx, min(time.Duration(1<<(fails-2))*time.Second, 10*time.Second)); err != nil {
				return Info{}, err
			}
		}
	}
}

// fatalError is a refusal that retrying cannot mend (403, a bad answer).
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

func (f *fetcher) wait(ctx context.Context, d time.Duration) error {
	t, c := f.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c:
		return nil
	}
}

func (f *fetcher) loadState() error {
	b, err := os.ReadFile(f.state)
	if errors.Is(err, os.ErrNotExist) {
		os.Remove(f.part)
		return nil
	}
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := json.Unmarshal(b, &f.info); err != nil || f.info.ID == "" {
		f.lg.Warn("discarding a damaged download state", "file", f.state)
		f.discard()
		return nil
	}
	f.lg.Info("resuming a snapshot download", "id", f.info.ID, "peer", f.peer)
	return nil
}

func (f *fetcher) discard() {
	os.Remove(f.part)
	os.Remove(f.state)
	f.info, f.h, f.hashed = Info{}, nil, 0
}

func (f *fetcher) size() (int64, error) {
	st, err := os.Stat(f.part)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if st.Size() > f.info.Size {
		f.lg.Warn("download longer than the snapshot; starting again", "id", f.info.ID)
		os.Remove(f.part)
		f.h, f.hashed = nil, 0
		return 0, nil
	}
	return st.Size(), nil
}

// create asks the peer for a snapshot, waiting while it is made.
func (f *fetcher) create(ctx context.Context) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.peer+Path, nil)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		resp, err := f.cfg.Doer.Do(req)
		if err != nil {
			return fmt.Errorf("snapshot: ask %s for a snapshot: %w", f.peer, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("snapshot: ask %s for a snapshot: %w", f.peer, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			var info Info
			if err := json.Unmarshal(body, &info); err != nil || info.ID == "" || len(info.SHA256) != 64 || info.Size <= 0 {
				return fmt.Errorf("snapshot: %s answered a bad snapshot description", f.peer)
			}
			if info.Format != Format {
				return fmt.Errorf("snapshot: %s offers a snapshot in format %q; this version reads %q", f.peer, info.Format, Format)
			}
			f.info, f.h, f.hashed = info, nil, 0
			os.Remove(f.part)
			b, _ := json.Marshal(info)
			if err := writeFileSync(f.state, b); err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			f.lg.Info("downloading a snapshot", "peer", f.peer, "id", info.ID, "bytes", info.Size, "sha256", info.SHA256)
			return nil
		case http.StatusAccepted:
			f.lg.Info("the peer is making a snapshot", "peer", f.peer)
			if err := f.wait(ctx, 2*time.Second); err != nil {
				return err
			}
		default:
			return fmt.Errorf("snapshot: %s refused a snapshot: %s: %s", f.peer, resp.Status, detail(body))
		}
	}
}

// get downloads from offset have to the end (or until cut) and reports
// how many bytes it added.
func (f *fetcher) get(ctx context.Context, have int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.peer+Path+"/"+f.info.ID, nil)
	if err != nil {
		return 0, &fatalError{fmt.Errorf("snapshot: %w", err)}
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
		req.Header.Set("If-Range", `"`+f.info.SHA256+`"`)
	}
	resp, err := f.cfg.Doer.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		have = 0 // the whole file
	case http.StatusPartialContent:
		start, ok := rangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return 0, fmt.Errorf("snapshot: %s sent range %q for offset %d", f.peer, resp.Header.Get("Content-Range"), have)
		}
	case http.StatusNotFound, http.StatusGone:
		return 0, ErrGone
	case http.StatusRequestedRangeNotSatisfiable:
		return 0, ErrGone
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		err := fmt.Errorf("snapshot: %s refused the download: %s: %s", f.peer, resp.Status, detail(body))
		if resp.StatusCode >= 500 {
			return 0, err
		}
		return 0, &fatalError{err}
	}
	if got := resp.Header.Get(HeaderSHA); got != "" && got != f.info.SHA256 {
		return 0, ErrGone // another file under the same ID: start again
	}
	flag := os.O_CREATE | os.O_WRONLY
	if have == 0 {
		flag |= os.O_TRUNC
		f.h, f.hashed = nil, 0
	}
	out, err := os.OpenFile(f.part, flag, 0o600)
	if err != nil {
		return 0, &fatalError{fmt.Errorf("snapshot: %w", err)}
	}
	defer out.Close()
	if _, err := out.Seek(have, io.SeekStart); err != nil {
		return 0, &fatalError{fmt.Errorf("snapshot: %w", err)}
	}
	if err := f.hashUpTo(have); err != nil {
		return 0, &fatalError{err}
	}
	n, err := io.Copy(io.MultiWriter(out, f.h), io.LimitReader(resp.Body, f.info.Size-have))
	f.hashed += n
	if serr := out.Sync(); err == nil && serr != nil {
		err = serr
	}
	if err == nil && have+n < f.info.Size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// hashUpTo makes f.h the hash of the part file's first n bytes.
func (f *fetcher) hashUpTo(n int64) error {
	if f.h != nil && f.hashed == n {
		return nil
	}
	f.h, f.hashed = sha256.New(), 0
	if n == 0 {
		return nil
	}
	in, err := os.Open(f.part)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer in.Close()
	c, err := io.Copy(f.h, io.LimitReader(in, n))
	f.hashed = c
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("snapshot: rehash the partial download: %w", err)
	}
	return nil
}

func (f *fetcher) verify() (Info, error) {
	if err := f.hashUpTo(f.info.Size); err != nil {
		return Info{}, err
	}
	if got := hex.EncodeToString(f.h.Sum(nil)); got != f.info.SHA256 {
		info := f.info
		f.discard()
		f.lg.Error("snapshot download refused: checksum mismatch; discarded", "id", info.ID, "want", info.SHA256, "got", got)
		return Info{}, fmt.Errorf("%w: %s from %s has SHA-256 %s, the peer said %s (the download is discarded)", ErrChecksum, info.ID, f.peer, got, info.SHA256)
	}
	return f.info, nil
}

func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil
}

// detail is the detail of a problem+json answer, or its text.
func detail(body []byte) string {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return p.Detail
	}
	return strings.TrimSpace(string(body))
}

func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.Write(b); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
