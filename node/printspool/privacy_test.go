package printspool_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stacks/hardware/escpos"
	"stacks/node/printspool"
	"stacks/replicate/clock"
)

func slip(line string) []byte {
	b, _ := escpos.New(escpos.PC858).Init().Line(line).Cut(false, 0).Bytes()
	return b
}

// grepSpool fails if any of values is in the spool's files.
func grepSpool(t *testing.T, dir string, values ...string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "spool.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spool files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%q found in %s", v, filepath.Base(f))
			}
		}
	}
}

// TestErasePatronsAndPrune: an erased patron's jobs go whatever their
// state (printed, cancelled, queued behind a printer out of paper), with
// no byte of their name left in the spool's files; other jobs stay until
// KeepFinished after they finished, then Prune deletes the finished ones.
func TestErasePatronsAndPrune(t *testing.T) {
	ctx := context.Background()
	_, okAddr := startEmulator(t, false)
	_, outAddr := startEmulator(t, true)
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	cfg := printspool.DefaultConfig(filepath.Join(dir, "spool.db"))
	cfg.Clock, cfg.MinBackoff, cfg.MaxBackoff = clk, 20*time.Millisecond, 100*time.Millisecond
	sp, err := printspool.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	sp.AddPrinter("desk", "tcp://"+okAddr, &escpos.TCPPrinter{Addr: okAddr, Timeout: time.Second})
	sp.AddPrinter("back", "tcp://"+outAddr, &escpos.TCPPrinter{Addr: outAddr, Timeout: time.Second})
	run(t, sp)

	const erased, other = "Quintessa Marlowe 29876543210987", "Ottokar Other 21000000000099"
	enq := func(patron, printer, name string) int64 {
		t.Helper()
		j, err := sp.EnqueueFor(ctx, patron, printer, "hold", "hold slip for "+name, slip(name))
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	printed := enq("P1", "desk", erased)
	queued := enq("P1", "back", erased)
	cancelled := enq("P1", "back", erased)
	if _, err := sp.Cancel(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	otherDone := enq("P2", "desk", other)
	otherQueued := enq("P2", "back", "Ottilie Waiting")
	anon, err := sp.Enqueue(ctx, "desk", "transit", "transit slip", slip("transit slip 31000000000017"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{printed, otherDone, anon.ID} {
		waitFor(t, "printed", func() bool { return state(t, sp, id).State == printspool.Done })
	}

	n, err := sp.ErasePatrons(ctx, []string{"P1", "P9"})
	if err != nil || n != 3 {
		t.Fatalf("erased %d jobs (%v), want 3", n, err)
	}
	if n, err := sp.ErasePatrons(ctx, []string{"P1"}); err != nil || n != 0 {
		t.Fatalf("erasing again: %d (%v)", n, err)
	}
	for _, id := range []int64{printed, queued, cancelled} {
		if _, err := sp.Job(ctx, id); err == nil {
			t.Fatalf("job %d of the erased patron is still there", id)
		}
	}
	for _, id := range []int64{otherDone, otherQueued, anon.ID} {
		if _, err := sp.Job(ctx, id); err != nil {
			t.Fatalf("job %d of someone else: %v", id, err)
		}
	}
	grepSpool(t, dir, "Quintessa", "29876543210987")

	// Retention: nothing finished a week ago yet; a day later the
	// finished jobs go, the one still queued stays.
	clk.Advance(6 * 24 * time.Hour)
	if n, err := sp.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("pruned %d (%v) before the week was up", n, err)
	}
	clk.Advance(2 * 24 * time.Hour)
	if n, err := sp.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want the 2 finished jobs", n, err)
	}
	if _, err := sp.Job(ctx, otherQueued); err != nil {
		t.Fatalf("the queued job went: %v", err)
	}
	grepSpool(t, dir, "Ottokar", "transit slip 31000000000017")
}
