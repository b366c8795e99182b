package main

import (
	"context"
	"log/slog"
	"os"

	"stacks/hardware/escpos/emulator"
)

var terminateSignal os.Signal = os.Kill

// togglePaperOnSignal: Windows has no SIGUSR1; use the control port.
func togglePaperOnSignal(context.Context, *emulator.Server, *slog.Logger) {}
