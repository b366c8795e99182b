// Package printspool is the durable print spool of an appliance: jobs in a
// SQLite file of their own (local to the appliance, never replicated)
// that survive a restart, print once each and in order per printer, and
// wait with backoff while a printer is off or out of paper. Enqueueing is
// one local insert: circulation never waits for a printer.
package printspool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"stacks/hardware/escpos"
	"stacks/replicate/clock"
)

// State is where a job is.
type State string

// Job states.
const (
	Queued    State = "queued"
	Printing  State = "printing"
	Waiting   State = "waiting" // the printer cannot print now; Detail says why
	Done      State = "done"
	Failed    State = "failed" // gave up (MaxAge passed)
	Cancelled State = "cancelled"
)

// Errors for callers to test.
var (
	ErrUnknownPrinter = errors.New("spool: no such printer")
	ErrNotFound       = errors.New("spool: no such job")
	ErrFinished       = errors.New("spool: the job is already printed, printing, failed or cancelled")
)

// Job is a print job.
type Job struct {
	ID        int64     `json:"id"`
	Printer   string    `json:"printer"`
	Kind      string    `json:"kind"`  // checkout, checkin, payment, hold, transit, welcome, ticket, handoff
	Title     string    `json:"title"` // what it is, for the desk
	State     State     `json:"state"`
	Detail    string    `json:"detail,omitempty"` // e.g. "paper out"
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	NextAt    time.Time `json:"next_attempt,omitzero"`
}

// Printer is a printer the spool knows.
type Printer struct {
	Name   string        `json:"name"`
	URL    string        `json:"url"`
	Status escpos.Status `json:"status"` // as last seen
	Seen   time.Time     `json:"seen,omitzero"`
	Queued int           `json:"queued"` // jobs not yet printed
}

// Config is a spool's configuration.
type Config struct {
	// Path is the SQLite file.
	Path   string
	Clock  clock.Clock
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the pause before a job is tried
	// again (doubling from the first to the second).
	MinBackoff, MaxBackoff time.Duration
	// MaxAge is how long a job is retried before it fails.
	MaxAge time.Duration
	// KeepFinished is how long finished jobs stay listed.
	KeepFinished time.Duration
}

// DefaultConfig is 1 s to 30 s of backoff, a day of retries, a week of
// history.
func DefaultConfig(path string) Config {
	return Config{Path: path, Clock: clock.System{}, MinBackoff: time.Second, MaxBackoff: 30 * time.Second,
		MaxAge: 24 * time.Hour, KeepFinished: 7 * 24 * time.Hour}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("spool: no file")
	case c.Clock == nil:
		return errors.New("spool: no clock")
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return errors.New("spool: backoff must be positive, min <= max")
	case c.MaxAge <= 0:
		return errors.New("spool: max age must be positive")
	}
	return nil
}

// Spool is the durable queue and its printers' workers.
type Spool struct {
	cfg Config
	lg  *slog.Logger
	db  *sql.DB

	mu       sync.Mutex
	printers map[string]*worker
	order    []string // printer names in the order added; the first is the default
	run      context.Context
	wg       sync.WaitGroup
	closed   bool
}

type worker struct {
	name   string
	url    string
	p      escpos.Printer
	wake   chan struct{}
	status escpos.Status
	seen   time.Time
}

const schema = `
CREATE TABLE IF NOT EXISTS print_jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	printer TEXT NOT NULL,
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	data BLOB NOT NULL,
	state TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	next_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS print_jobs_open ON print_jobs (printer, state, id);
`

// Open opens (or creates) the spool's file. A job that was printing when
// the appliance stopped is queued again: it may print twice, never zero
// times.
func Open(ctx context.Context, cfg Config) (*Spool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	// secure_delete: a job purged for privacy is zeroed, not left in free pages.
	db, err := sql.Open("sqlite3", "file:"+cfg.Path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_secure_delete=on")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %s: %w", cfg.Path, err)
	}
	if err := addPatronColumn(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %s: %w", cfg.Path, err)
	}
	now := cfg.Clock.Now().UnixNano()
	if _, err := db.ExecContext(ctx, `UPDATE print_jobs SET state=?, detail='interrupted by a restart', updated_at=? WHERE state=?`, Queued, now, Printing); err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if cfg.KeepFinished > 0 {
		old := cfg.Clock.Now().Add(-cfg.KeepFinished).UnixNano()
		if _, err := db.ExecContext(ctx, `DELETE FROM print_jobs WHERE state IN (?,?,?) AND updated_at < ?`, Done, Failed, Cancelled, old); err != nil {
			db.Close()
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	return &Spool{cfg: cfg, lg: lg.With("subsystem", "spool"), db: db, printers: map[string]*worker{}}, nil
}

// Close closes the file. Call it after Run has returned.
func (s *Spool) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.db.Close()
}

// AddPrinter adds a printer (or replaces the one of that name); while Run
// runs, its worker starts at once.
func (s *Spool) AddPrinter(name, url string, p escpos.Printer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.printers[name]; ok {
		w.p, w.url = p, url
		s.signal(w)
		return
	}
	w := &worker{name: name, url: url, p: p, wake: make(chan struct{}, 1)}
	s.printers[name] = w
	s.order = append(s.order, name)
	if s.run != nil {
		s.start(w)
	}
}

// Default is the name of the first printer added, or "".
func (s *Spool) Default() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return ""
	}
	return s.order[0]
}

// Has says whether a printer of that name is known.
func (s *Spool) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.printers[name] != nil
}

// Run runs the printers' workers until ctx is done.
func (s *Spool) Run(ctx context.Context) {
	s.mu.Lock()
	s.run = ctx
	for _, n := range s.order {
		s.start(s.printers[n])
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
}

func (s *Spool) start(w *worker) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.work(s.run, w)
	}()
}

func (s *Spool) signal(w *worker) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (s *Spool) wake(printer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.printers[printer]; w != nil {
		s.signal(w)
	}
}

// Enqueue adds a job for printer ("" is the default printer). It is one
// insert into a local file: it never waits for a printer.
func (s *Spool) Enqueue(ctx context.Context, printer, kind, title string, data []byte) (Job, error) {
	return s.EnqueueFor(ctx, "", printer, kind, title, data)
}

// EnqueueFor is Enqueue of a printout about a patron (a receipt, a hold
// slip): the job is purged when the patron is erased (ErasePatrons).
func (s *Spool) EnqueueFor(ctx context.Context, patronID, printer, kind, title string, data []byte) (Job, error) {
	if printer == "" {
		printer = s.Default()
	}
	if !s.Has(printer) {
		return Job{}, fmt.Errorf("%w: %q", ErrUnknownPrinter, printer)
	}
	if len(data) == 0 {
		return Job{}, errors.New("spool: empty job")
	}
	now := s.cfg.Clock.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO print_jobs (printer, kind, title, data, state, created_at, updated_at, patron_id) VALUES (?,?,?,?,?,?,?,?)`,
		printer, kind, title, data, Queued, now.UnixNano(), now.UnixNano(), patronID)
	if err != nil {
		return Job{}, fmt.Errorf("spool: enqueue: %w", err)
	}
	id, _ := res.LastInsertId()
	s.wake(printer)
	s.lg.Debug("job queued", "job", id, "printer", printer, "kind", kind)
	return Job{ID: id, Printer: printer, Kind: kind, Title: title, State: Queued, CreatedAt: now, UpdatedAt: now}, nil
}

const jobCols = `id, printer, kind, title, state, detail, attempts, created_at, updated_at, next_at`

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var c, u, n int64
	if err := sc.Scan(&j.ID, &j.Printer, &j.Kind, &j.Title, &j.State, &j.Detail, &j.Attempts, &c, &u, &n); err != nil {
		return j, err
	}
	j.CreatedAt, j.UpdatedAt = time.Unix(0, c), time.Unix(0, u)
	if n > 0 {
		j.NextAt = time.Unix(0, n)
	}
	return j, nil
}

// Job returns one job.
func (s *Spool) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM print_jobs WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return j, err
}

// Jobs lists the jobs not yet finished and the latest finished ones,
// newest first.
func (s *Spool) Jobs(ctx context.Context, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobCols+` FROM print_jobs ORDER BY (state IN ('queued','printing','waiting')) DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID > out[b].ID })
	return out, rows.Err()
}

// Cancel cancels a job that has not printed.
func (s *Spool) Cancel(ctx context.Context, id int64) (Job, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE print_jobs SET state=?, detail='', updated_at=? WHERE id=? AND state IN (?,?)`,
		Cancelled, s.cfg.Clock.Now().UnixNano(), id, Queued, Waiting)
	if err != nil {
		return Job{}, err
	}
	return s.changed(ctx, res, id)
}

// Retry tries a waiting job again now, not after its backoff.
func (s *Spool) Retry(ctx context.Context, id int64) (Job, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE print_jobs SET next_at=0, updated_at=? WHERE id=? AND state IN (?,?)`,
		s.cfg.Clock.Now().UnixNano(), id, Queued, Waiting)
	if err != nil {
		return Job{}, err
	}
	j, err := s.changed(ctx, res, id)
	if err == nil {
		s.wake(j.Printer)
	}
	return j, err
}

// Move sends a job to another printer: a job not yet printed keeps its
// place by age there; a finished one (done, failed, cancelled) is printed
// again as a new job there.
func (s *Spool) Move(ctx context.Context, id int64, printer string) (Job, error) {
	if !s.Has(printer) {
		return Job{}, fmt.Errorf("%w: %q", ErrUnknownPrinter, printer)
	}
	j, err := s.Job(ctx, id)
	if err != nil {
		return j, err
	}
	switch j.State {
	case Printing:
		return j, ErrFinished
	case Done, Failed, Cancelled:
		var data []byte
		if err := s.db.QueryRowContext(ctx, `SELECT data FROM print_jobs WHERE id=?`, id).Scan(&data); err != nil {
			return j, err
		}
		return s.Enqueue(ctx, printer, j.Kind, j.Title, data)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE print_jobs SET printer=?, state=?, detail='', next_at=0, updated_at=? WHERE id=? AND state IN (?,?)`,
		printer, Queued, s.cfg.Clock.Now().UnixNano(), id, Queued, Waiting)
	if err != nil {
		return Job{}, err
	}
	defer s.wake(printer)
	defer s.wake(j.Printer)
	return s.changed(ctx, res, id)
}

func (s *Spool) changed(ctx context.Context, res sql.Result, id int64) (Job, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return Job{}, err
	}
	j, err := s.Job(ctx, id)
	if err != nil {
		return j, err
	}
	if n == 0 {
		return j, ErrFinished
	}
	return j, nil
}

// Printers lists the printers with their last status and queue length.
func (s *Spool) Printers(ctx context.Context) ([]Printer, error) {
	counts, err := s.Queued(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Printer, 0, len(s.order))
	for _, n := range s.order {
		w := s.printers[n]
		out = append(out, Printer{Name: n, URL: w.url, Status: w.status, Seen: w.seen, Queued: counts[n]})
	}
	return out, nil
}

// Queued counts the jobs not yet printed, per printer.
func (s *Spool) Queued(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT printer, count(*) FROM print_jobs WHERE state IN (?,?,?) GROUP BY printer`, Queued, Printing, Waiting)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, err
		}
		out[p] = n
	}
	return out, rows.Err()
}

// work prints the printer's jobs, oldest first, one at a time: a job that
// cannot print holds back the ones after it, so they print in order.
func (s *Spool) work(ctx context.Context, w *worker) {
	lg := s.lg.With("printer", w.name)
	for ctx.Err() == nil {
		j, data, err := s.head(ctx, w.name)
		if err != nil {
			if ctx.Err() == nil {
				lg.Error("reading the spool", "err", err)
			}
			s.sleep(ctx, w, s.cfg.MaxBackoff)
			continue
		}
		if j == nil {
			s.sleep(ctx, w, 0)
			continue
		}
		now := s.cfg.Clock.Now()
		if now.Sub(j.CreatedAt) > s.cfg.MaxAge {
			s.finish(ctx, j.ID, Failed, "gave up after "+s.cfg.MaxAge.String()+": "+j.Detail)
			lg.Warn("print job failed", "job", j.ID, "attempts", j.Attempts, "last", j.Detail)
			continue
		}
		if d := j.NextAt.Sub(now); !j.NextAt.IsZero() && d > 0 {
			s.sleep(ctx, w, d)
			continue
		}
		if !s.setPrinting(ctx, j.ID, w.name) {
			continue // cancelled or moved meanwhile
		}
		s.mu.Lock()
		p := w.p
		s.mu.Unlock()
		err = p.Print(ctx, data)
		s.note(w, err)
		if err == nil {
			s.finish(ctx, j.ID, Done, "")
			lg.Info("printed", "job", j.ID, "kind", j.Kind)
			continue
		}
		if ctx.Err() != nil {
			// Stopping: the job goes back to the queue when the
			// spool opens again.
			return
		}
		backoff := s.cfg.MinBackoff << min(j.Attempts, 20)
		if backoff > s.cfg.MaxBackoff || backoff <= 0 {
			backoff = s.cfg.MaxBackoff
		}
		s.retry(ctx, j.ID, reason(err), now.Add(backoff))
		lg.Info("printer not ready; job waits", "job", j.ID, "reason", reason(err), "retry_in", backoff)
	}
}

// reason is why a job waits, in a few words.
func reason(err error) string {
	var nr *escpos.NotReadyError
	switch {
	case errors.As(err, &nr):
		return nr.Status.String()
	case errors.Is(err, escpos.ErrNoAnswer):
		return "offline: no answer"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "offline: " + msg
}

func (s *Spool) note(w *worker, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.seen = s.cfg.Clock.Now()
	var nr *escpos.NotReadyError
	switch {
	case err == nil:
		w.status = escpos.Status{Known: true, Online: true}
	case errors.As(err, &nr):
		w.status = nr.Status
	default:
		w.status = escpos.Status{}
	}
}

// sleep waits for d (0: until woken), a wake-up, or the end of ctx.
func (s *Spool) sleep(ctx context.Context, w *worker, d time.Duration) {
	var tc <-chan time.Time
	if d > 0 {
		t, c := s.cfg.Clock.NewTimer(d)
		defer t.Stop()
		tc = c
	}
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-tc:
	}
}

func (s *Spool) head(ctx context.Context, printer string) (*Job, []byte, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+jobCols+`, data FROM print_jobs WHERE printer=? AND state IN (?,?) ORDER BY id LIMIT 1`, printer, Queued, Waiting)
	var j Job
	var c, u, n int64
	var data []byte
	err := row.Scan(&j.ID, &j.Printer, &j.Kind, &j.Title, &j.State, &j.Detail, &j.Attempts, &c, &u, &n, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	j.CreatedAt, j.UpdatedAt = time.Unix(0, c), time.Unix(0, u)
	if n > 0 {
		j.NextAt = time.Unix(0, n)
	}
	return &j, data, nil
}

// setPrinting claims a job for the printer's worker, unless it was
// cancelled or moved since it was read.
func (s *Spool) setPrinting(ctx context.Context, id int64, printer string) bool {
	res, err := s.db.ExecContext(ctx, `UPDATE print_jobs SET state=?, attempts=attempts+1, updated_at=? WHERE id=? AND printer=? AND state IN (?,?)`,
		Printing, s.cfg.Clock.Now().UnixNano(), id, printer, Queued, Waiting)
	if err != nil {
		return false
	}
	n, _ := res.RowsAffected()
	return n == 1
}

func (s *Spool) finish(ctx context.Context, id int64, st State, detail string) {
	// The outcome is recorded even when ctx is ending: a printed job must
	// not print again after a restart.
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE print_jobs SET state=?, detail=?, next_at=0, updated_at=? WHERE id=?`,
		st, detail, s.cfg.Clock.Now().UnixNano(), id); err != nil {
		s.lg.Error("recording a print job's end", "job", id, "err", err)
	}
}

func (s *Spool) retry(ctx context.Context, id int64, detail string, next time.Time) {
	if _, err := s.db.ExecContext(ctx, `UPDATE print_jobs SET state=?, detail=?, next_at=?, updated_at=? WHERE id=? AND state=?`,
		Waiting, detail, next.UnixNano(), s.cfg.Clock.Now().UnixNano(), id, Printing); err != nil {
		s.lg.Error("recording a print job's retry", "job", id, "err", err)
	}
}
