package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"stacks/hardware/escpos/emulator"
)

func init() {
	commands["printer-emulator"] = command{name: "printer-emulator", summary: "a receipt printer in software (raw 9100, DLE EOT, paper out) that shows what it prints", run: runPrinterEmulator}
}

func runPrinterEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("printer-emulator", stderr)
	listen := fs.String("listen", "127.0.0.1:9100", "address to take raw print jobs on")
	paperOut := fs.Bool("paper-out", false, "start without paper (SIGUSR1 or the control port switches)")
	pngDir := fs.String("png", "", "directory to write each job to as job-NNNN.png and job-NNNN.txt")
	outFile := fs.String("out", "", "file to append each job's text to (default: standard output)")
	control := fs.String("control", "", "address of a small HTTP control port: GET /status, /jobs; POST /paper-out, /paper-in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("printer-emulator takes no arguments, got %q", fs.Args())
	}
	out := stdout
	if *outFile != "" {
		f, err := os.OpenFile(*outFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		out = syncWriter{f}
	}
	if *pngDir != "" {
		if err := os.MkdirAll(*pngDir, 0o755); err != nil {
			return err
		}
	}
	lg := slog.New(slog.NewTextHandler(stderr, nil))
	srv := emulator.New(emulator.Config{Out: out, PNGDir: *pngDir, PaperOut: *paperOut, Logger: lg})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, terminateSignal)
	defer stop()
	togglePaperOnSignal(ctx, srv, lg)
	if *control != "" {
		cln, err := net.Listen("tcp", *control)
		if err != nil {
			ln.Close()
			return err
		}
		hs := &http.Server{Handler: emulatorControl(srv), ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(cln)
		defer hs.Close()
		lg.Info("control port", "addr", cln.Addr().String())
	}
	lg.Info("printer emulator listening", "addr", ln.Addr().String(), "paper_out", *paperOut)
	go func() { <-ctx.Done(); ln.Close() }()
	err = srv.Serve(ln)
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// syncWriter writes through to a file at once.
type syncWriter struct{ f *os.File }

func (w syncWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err == nil {
		err = w.f.Sync()
	}
	return n, err
}

func emulatorControl(srv *emulator.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": srv.Status().String(), "jobs": len(srv.Jobs()), "dropped": srv.Dropped()})
	})
	mux.HandleFunc("GET /jobs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, j := range srv.Jobs() {
			fmt.Fprintf(w, "---- job %d ----\n%s", j.N, j.Page.Text())
		}
	})
	mux.HandleFunc("POST /paper-out", func(w http.ResponseWriter, r *http.Request) { srv.SetPaperOut(true) })
	mux.HandleFunc("POST /paper-in", func(w http.ResponseWriter, r *http.Request) { srv.SetPaperOut(false) })
	return mux
}
