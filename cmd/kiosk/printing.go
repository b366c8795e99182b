package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"stacks/hardware/escpos"
)

// receiptPrinter prints the kiosk's receipts on its own ESC/POS printer
// (--printer tcp://HOST:9100 or a device file), retrying in memory: a
// kiosk's receipt matters while the patron stands there, so a job is
// given up after a couple of minutes, and the kiosk never waits for it.
type receiptPrinter struct {
	p       escpos.Printer
	log     io.Writer
	jobs    chan []byte
	done    chan struct{}
	giveUp  time.Duration
	backoff time.Duration
	mu      sync.Mutex
	printed int
}

func newReceiptPrinter(url string, log io.Writer) (*receiptPrinter, error) {
	p, err := escpos.Open(url, 2*time.Second)
	if err != nil {
		return nil, err
	}
	rp := &receiptPrinter{p: p, log: log, jobs: make(chan []byte, 16), done: make(chan struct{}), giveUp: 2 * time.Minute, backoff: time.Second}
	go rp.run()
	return rp, nil
}

// enqueue hands a receipt to the printer; a full queue drops it (logged).
func (rp *receiptPrinter) enqueue(text string) {
	e := escpos.New(escpos.PC858).Init()
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		e.Line(l)
	}
	data, err := e.Feed(3).Cut(false, 0).Bytes()
	if err != nil {
		fmt.Fprintln(rp.log, "kiosk: receipt not printed:", err)
		return
	}
	select {
	case rp.jobs <- data:
	default:
		fmt.Fprintln(rp.log, "kiosk: receipt not printed: the printer's queue is full")
	}
}

func (rp *receiptPrinter) run() {
	defer close(rp.done)
	for data := range rp.jobs {
		start, wait := time.Now(), rp.backoff
		for {
			err := rp.p.Print(context.Background(), data)
			if err == nil {
				rp.mu.Lock()
				rp.printed++
				rp.mu.Unlock()
				break
			}
			if time.Since(start) > rp.giveUp {
				fmt.Fprintln(rp.log, "kiosk: receipt not printed, given up:", err)
				break
			}
			time.Sleep(wait) // the backoff between tries of a printer that is off
			wait = min(2*wait, 10*time.Second)
		}
	}
}

// close lets queued receipts print for up to d.
func (rp *receiptPrinter) close(d time.Duration) {
	close(rp.jobs)
	select {
	case <-rp.done:
	case <-time.After(d):
	}
}

// showReceipt shows the session's receipt on the screen and, with a
// printer, prints it.
func (k *kiosk) showReceipt() {
	if k.printer == nil {
		k.receipt()
		return
	}
	var sb strings.Builder
	out := k.out
	k.out = &sb
	k.receipt()
	k.out = out
	k.printf("%s", sb.String())
	k.printer.enqueue(sb.String())
}
