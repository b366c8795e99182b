package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"stacks/hardware/escpos"
)

// Job is what one connection printed.
type Job struct {
	N    int // 1, 2, ... in the order received
	Data []byte
	Page *Page
}

// Config is an emulator's configuration.
type Config struct {
	// Out receives each job's text rendering (nil: none).
	Out io.Writer
	// PNGDir, when set, receives each job as job-NNNN.png and
	// job-NNNN.txt.
	PNGDir string
	// PaperOut starts the printer without paper.
	PaperOut bool
	Logger   *slog.Logger
}

// Server is a receipt printer on TCP: it answers DLE EOT on the
// connection at once, and when the sender closes its side it prints the
// rest (unless out of paper: then the data is dropped and counted, as a
// printer would refuse it).
type Server struct {
	cfg Config
	lg  *slog.Logger

	mu      sync.Mutex
	status  escpos.Status
	jobs    []Job
	dropped int
	conns   map[net.Conn]bool
	closed  bool
	wg      sync.WaitGroup
}

// New returns an emulator; it does no I/O until Serve.
func New(cfg Config) *Server {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, lg: lg, conns: map[net.Conn]bool{}}
	s.status = escpos.Status{Known: true, Online: true}
	s.SetPaperOut(cfg.PaperOut)
	return s
}

// SetPaperOut takes the paper out (or puts it back).
func (s *Server) SetPaperOut(out bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.PaperOut, s.status.Online = out, !out
}

// Status is what the printer answers to DLE EOT.
func (s *Server) Status() escpos.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Jobs are the jobs printed so far.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Job(nil), s.jobs...)
}

// Dropped counts jobs received while out of paper.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Serve accepts connections until ln is closed.
func (s *Server) Serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

// Shutdown closes open connections and waits for their handlers.
func (s *Server) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Server) handle(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	var data []byte
	buf := make([]byte, 4096)
	// pending holds the start of a DLE EOT split across reads.
	var pending []byte
	for {
		n, err := c.Read(buf)
		in := append(pending, buf[:n]...)
		pending = nil
		for i := 0; i < len(in); i++ {
			if in[i] == escpos.DLE && (i+1 >= len(in) || in[i+1] == escpos.EOT) {
				if i+2 >= len(in) {
					pending = append([]byte(nil), in[i:]...)
					break
				}
				c.Write([]byte{s.answer(in[i+2])})
				i += 2
				continue
			}
			data = append(data, in[i])
		}
		if err != nil {
			break
		}
	}
	if len(data) == 0 {
		return
	}
	s.print(data)
}

func (s *Server) answer(n byte) byte {
	sb := escpos.StatusBytes(s.Status())
	switch n {
	case escpos.StatusOffline:
		return sb[1]
	case escpos.StatusPaper:
		return sb[2]
	}
	return sb[0]
}

func (s *Server) print(data []byte) {
	s.mu.Lock()
	if s.status.PaperOut {
		s.dropped++
		s.mu.Unlock()
		s.lg.Warn("job received without paper: dropped", "bytes", len(data))
		return
	}
	job := Job{N: len(s.jobs) + 1, Data: data, Page: Decode(data)}
	s.jobs = append(s.jobs, job)
	// Rendering inside the lock keeps the output in the order received.
	defer s.mu.Unlock()
	text := job.Page.Text()
	if s.cfg.Out != nil {
		fmt.Fprintf(s.cfg.Out, "---- job %d (%d bytes) ----\n%s", job.N, len(data), text)
	}
	if s.cfg.PNGDir != "" {
		base := filepath.Join(s.cfg.PNGDir, fmt.Sprintf("job-%04d", job.N))
		if err := os.WriteFile(base+".txt", []byte(text), 0o644); err != nil {
			s.lg.Error("write job text", "err", err)
		}
		f, err := os.Create(base + ".png")
		if err == nil {
			err = job.Page.WritePNG(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			s.lg.Error("write job image", "err", err)
		}
	}
	for _, u := range job.Page.Unknown {
		s.lg.Warn("unknown command", "job", job.N, "command", u)
	}
}
