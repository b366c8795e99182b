package printspool_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/hardware/escpos"
	"stacks/hardware/escpos/emulator"
	"stacks/node/printspool"
)

func startEmulator(t *testing.T, paperOut bool) (*emulator.Server, string) {
	t.Helper()
	srv := emulator.New(emulator.Config{PaperOut: paperOut})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { ln.Close(); srv.Shutdown(context.Background()) })
	return srv, ln.Addr().String()
}

// silentPrinter accepts connections and never answers.
func silentPrinter(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}

func openSpool(t *testing.T, path string) *printspool.Spool {
	t.Helper()
	cfg := printspool.DefaultConfig(path)
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	sp, err := printspool.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func run(t *testing.T, sp *printspool.Spool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sp.Run(ctx); close(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func job(i int) []byte {
	b, _ := escpos.New(escpos.PC858).Init().Line(fmt.Sprintf("receipt %d", i)).Cut(false, 0).Bytes()
	return b
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func state(t *testing.T, sp *printspool.Spool, id int64) printspool.Job {
	j, err := sp.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// Paper out: jobs wait, saying why; paper back: each prints once, in order.
func TestPaperOutThenInOrder(t *testing.T) {
	em, addr := startEmulator(t, true)
	sp := openSpool(t, filepath.Join(t.TempDir(), "spool.db"))
	defer sp.Close()
	sp.AddPrinter("desk", "tcp://"+addr, &escpos.TCPPrinter{Addr: addr, Timeout: time.Second})
	run(t, sp)
	ctx := context.Background()
	var ids []int64
	for i := 1; i <= 3; i++ {
		j, err := sp.Enqueue(ctx, "", "checkout", fmt.Sprint("receipt ", i), job(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	waitFor(t, "the first job to wait for paper", func() bool {
		j := state(t, sp, ids[0])
		return j.State == printspool.Waiting && strings.Contains(j.Detail, "paper out") && j.Attempts >= 2
	})
	if j := state(t, sp, ids[1]); j.State != printspool.Queued {
		t.Errorf("second job %s, want queued behind the first", j.State)
	}
	ps, _ := sp.Printers(ctx)
	if len(ps) != 1 || ps[0].Queued != 3 || !ps[0].Status.PaperOut {
		t.Errorf("printers %+v", ps)
	}
	em.SetPaperOut(false)
	waitFor(t, "three jobs printed", func() bool { return len(em.Jobs()) >= 3 && state(t, sp, ids[2]).State == printspool.Done })
	jobs := em.Jobs()
	if len(jobs) != 3 || em.Dropped() != 0 {
		t.Fatalf("printed %d, dropped %d", len(jobs), em.Dropped())
	}
	for i, j := range jobs {
		if want := fmt.Sprintf("receipt %d", i+1); !strings.Contains(j.Page.Text(), want) {
			t.Errorf("job %d printed %q, want %q", i+1, j.Page.Text(), want)
		}
	}
	if q, _ := sp.Queued(ctx); q["desk"] != 0 {
		t.Errorf("queued %v", q)
	}
}

// A job survives a restart of the spool.
func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	sp := openSpool(t, path)
	sp.AddPrinter("desk", "tcp://nowhere", &escpos.TCPPrinter{Addr: "127.0.0.1:1", Timeout: 100 * time.Millisecond})
	j, err := sp.Enqueue(context.Background(), "desk", "checkin", "return", job(7))
	if err != nil {
		t.Fatal(err)
	}
	sp.Close()

	em, addr := startEmulator(t, false)
	sp = openSpool(t, path)
	defer sp.Close()
	sp.AddPrinter("desk", "tcp://"+addr, &escpos.TCPPrinter{Addr: addr, Timeout: time.Second})
	run(t, sp)
	waitFor(t, "the job printed after the restart", func() bool { return state(t, sp, j.ID).State == printspool.Done })
	if n := len(em.Jobs()); n != 1 || !strings.Contains(em.Jobs()[0].Page.Text(), "receipt 7") {
		t.Fatalf("printed %d jobs", n)
	}
}

// A printer that never answers: the job waits as offline; it can be
// cancelled or sent to another printer, where it prints.
func TestSilentPrinterCancelAndMove(t *testing.T) {
	silent := silentPrinter(t)
	em, addr := startEmulator(t, false)
	sp := openSpool(t, filepath.Join(t.TempDir(), "spool.db"))
	defer sp.Close()
	sp.AddPrinter("front", "tcp://"+silent, &escpos.TCPPrinter{Addr: silent, Timeout: 100 * time.Millisecond})
	sp.AddPrinter("back", "tcp://"+addr, &escpos.TCPPrinter{Addr: addr, Timeout: time.Second})
	run(t, sp)
	ctx := context.Background()
	a, _ := sp.Enqueue(ctx, "front", "checkout", "a", job(1))
	b, _ := sp.Enqueue(ctx, "front", "checkout", "b", job(2))
	waitFor(t, "offline", func() bool {
		j := state(t, sp, a.ID)
		return j.State == printspool.Waiting && j.Detail == "offline: no answer"
	})
	if _, err := sp.Cancel(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Cancel(ctx, b.ID); !errors.Is(err, printspool.ErrFinished) {
		t.Errorf("second cancel: %v", err)
	}
	// The job may be mid-attempt; moving waits for its state to allow it.
	waitFor(t, "moved", func() bool {
		_, err := sp.Move(ctx, a.ID, "back")
		return err == nil
	})
	waitFor(t, "printed on the other printer", func() bool {
		j := state(t, sp, a.ID)
		return j.State == printspool.Done
	})
	if len(em.Jobs()) != 1 || !strings.Contains(em.Jobs()[0].Page.Text(), "receipt 1") {
		t.Fatalf("back printed %d", len(em.Jobs()))
	}
	if j := state(t, sp, b.ID); j.State != printspool.Cancelled {
		t.Errorf("cancelled job is %s", j.State)
	}
	// Reprinting a done job on another printer makes a new job.
	n, err := sp.Move(ctx, a.ID, "back")
	if err != nil || n.ID == a.ID {
		t.Fatalf("reprint: %+v %v", n, err)
	}
	waitFor(t, "reprinted", func() bool { return len(em.Jobs()) == 2 })
	if _, err := sp.Enqueue(ctx, "nope", "x", "x", job(1)); !errors.Is(err, printspool.ErrUnknownPrinter) {
		t.Errorf("unknown printer: %v", err)
	}
	if _, err := sp.Move(ctx, b.ID, "nope"); !errors.Is(err, printspool.ErrUnknownPrinter) {
		t.Errorf("move to unknown printer: %v", err)
	}
	jobs, err := sp.Jobs(ctx, 10)
	if err != nil || len(jobs) != 3 {
		t.Errorf("jobs %v %v", jobs, err)
	}
}

// Enqueueing is a local insert: fast even while the printer is gone.
func TestEnqueueNeverWaits(t *testing.T) {
	silent := silentPrinter(t)
	sp := openSpool(t, filepath.Join(t.TempDir(), "spool.db"))
	defer sp.Close()
	sp.AddPrinter("front", "tcp://"+silent, &escpos.TCPPrinter{Addr: silent, Timeout: 5 * time.Second})
	run(t, sp)
	start := time.Now()
	for i := range 20 {
		if _, err := sp.Enqueue(context.Background(), "", "checkout", "x", job(i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 enqueues took %v while the printer hangs", d)
	}
}
