package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultTimeout bounds a status query and the connection to a printer.
const DefaultTimeout = 3 * time.Second

// A Printer takes jobs and tells its status. Both calls give up after the
// printer's timeout: a printer that never answers is offline, not a hang.
type Printer interface {
	// Status asks the printer for its status; a printer that does not
	// answer gives a Status that is not Known and ErrNoAnswer.
	Status(ctx context.Context) (Status, error)
	// Print asks the status, and sends data when the printer is ready;
	// otherwise it returns a *NotReadyError or the connection's error.
	Print(ctx context.Context, data []byte) error
}

var (
	_ Printer = (*TCPPrinter)(nil)
	_ Printer = (*DevicePrinter)(nil)
)

// Open returns the printer of a URL: tcp://HOST[:PORT] (port 9100 by
// default) or file:///dev/usb/lp0 (a bare path is a file too).
func Open(raw string, timeout time.Duration) (Printer, error) {
	if strings.HasPrefix(raw, "/") {
		return &DevicePrinter{Path: raw, Timeout: timeout}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("escpos: printer %q: %w", raw, err)
	}
	switch u.Scheme {
	case "tcp":
		if u.Host == "" {
			return nil, fmt.Errorf("escpos: printer %q has no host", raw)
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "9100")
		}
		return &TCPPrinter{Addr: host, Timeout: timeout}, nil
	case "file":
		if u.Path == "" {
			return nil, fmt.Errorf("escpos: printer %q has no path", raw)
		}
		return &DevicePrinter{Path: u.Path, Timeout: timeout}, nil
	}
	return nil, fmt.Errorf("escpos: printer %q: want tcp://HOST:9100 or file:///dev/usb/lp0", raw)
}

// TCPPrinter is a printer on the network taking raw jobs on a TCP port
// (9100, the JetDirect convention), answering DLE EOT on the same
// connection.
type TCPPrinter struct {
	Addr    string
	Timeout time.Duration // 0 is DefaultTimeout
}

func (p *TCPPrinter) timeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

func (p *TCPPrinter) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: p.timeout()}
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return nil, fmt.Errorf("escpos: printer %s: %w", p.Addr, err)
	}
	return c, nil
}

// Status asks the printer for its status.
func (p *TCPPrinter) Status(ctx context.Context) (Status, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return Status{}, err
	}
	defer c.Close()
	return queryStatus(ctx, c, c.SetDeadline, p.timeout())
}

// Print sends data if the printer says it is ready.
func (p *TCPPrinter) Print(ctx context.Context, data []byte) error {
	c, err := p.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := queryStatus(ctx, c, c.SetDeadline, p.timeout())
	if err != nil {
		return err
	}
	if err := st.Err(); err != nil {
		return err
	}
	c.SetDeadline(time.Now().Add(p.timeout() + time.Duration(len(data))*time.Millisecond/100))
	if _, err := c.Write(data); err != nil {
		return fmt.Errorf("escpos: printer %s: %w", p.Addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// A clean end of the job: the printer reads to the end of stream.
		if err := tc.CloseWrite(); err != nil {
			return fmt.Errorf("escpos: printer %s: %w", p.Addr, err)
		}
	}
	return nil
}

// DevicePrinter is a printer behind a device file: USB (/dev/usb/lp0) or
// a serial port. A device that cannot be read back gives no status, so it
// is sent jobs on trust unless StatusRequired.
type DevicePrinter struct {
	Path    string
	Timeout time.Duration
	// StatusRequired refuses to print when the device does not answer
	// DLE EOT.
	StatusRequired bool
}

func (p *DevicePrinter) timeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

// Status asks the device for its status.
func (p *DevicePrinter) Status(ctx context.Context) (Status, error) {
	f, err := os.OpenFile(p.Path, os.O_RDWR, 0)
	if err != nil {
		return Status{}, fmt.Errorf("escpos: printer %s: %w", p.Path, err)
	}
	defer f.Close()
	return queryStatus(ctx, f, f.SetDeadline, p.timeout())
}

// Print sends data to the device, after a status query.
func (p *DevicePrinter) Print(ctx context.Context, data []byte) error {
	f, err := os.OpenFile(p.Path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("escpos: printer %s: %w", p.Path, err)
	}
	defer f.Close()
	st, err := queryStatus(ctx, f, f.SetDeadline, p.timeout())
	switch {
	case err != nil && (p.StatusRequired || !errors.Is(err, ErrNoAnswer)):
		return err
	case err == nil:
		if err := st.Err(); err != nil {
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("escpos: printer %s: %w", p.Path, err)
	}
	return nil
}

// queryStatus sends the three DLE EOT requests and reads their answers,
// giving up after timeout (or when ctx ends). When the connection cannot
// take a deadline (some device files), the read is abandoned instead and
// the caller's Close ends it.
func queryStatus(ctx context.Context, rw io.ReadWriter, setDeadline func(time.Time) error, timeout time.Duration) (Status, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	hasDeadline := setDeadline(deadline) == nil
	defer setDeadline(time.Time{})
	type result struct {
		st  Status
		err error
	}
	done := make(chan result, 1)
	go func() {
		var st Status
		if _, err := rw.Write(StatusRequests); err != nil {
			done <- result{err: fmt.Errorf("escpos: status request: %w", err)}
			return
		}
		var b [1]byte
		for _, n := range []byte{StatusPrinter, StatusOffline, StatusPaper} {
			if _, err := io.ReadFull(rw, b[:]); err != nil {
				done <- result{err: fmt.Errorf("%w: %v", ErrNoAnswer, err)}
				return
			}
			if err := st.Apply(n, b[0]); err != nil {
				done <- result{err: err}
				return
			}
		}
		done <- result{st: st}
	}()
	var wait <-chan time.Time
	if !hasDeadline {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		wait = t.C
	}
	select {
	case r := <-done:
		return r.st, r.err
	case <-wait:
		return Status{}, ErrNoAnswer
	case <-ctx.Done():
		return Status{}, fmt.Errorf("%w: %v", ErrNoAnswer, ctx.Err())
	}
}

// MDNSService is the DNS-SD service type of raw-port network printers.
const MDNSService = "_pdl-datastream._tcp"
