//go:build !windows

package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"stacks/hardware/escpos/emulator"
)

var terminateSignal os.Signal = syscall.SIGTERM

// togglePaperOnSignal takes the paper out or puts it back on SIGUSR1.
func togglePaperOnSignal(ctx context.Context, srv *emulator.Server, lg *slog.Logger) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		defer signal.Stop(c)
		for {
			select {
			case <-ctx.Done():
				return
			case <-c:
				out := !srv.Status().PaperOut
				srv.SetPaperOut(out)
				lg.Info("paper switched", "paper_out", out)
			}
		}
	}()
}
