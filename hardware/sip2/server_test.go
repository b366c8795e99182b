package sip2_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// probe sends 99 with seq and reads answers until its 98 comes back.
func (c *conn) probe(seq int) {
	c.tb.Helper()
	c.send("\r" + withAZ(fmt.Sprintf("9900802.00AY%dAZ####", seq)) + "\r")
	for i := 0; i < 1000; i++ {
		got := c.read()
		if strings.HasPrefix(got, "98") && strings.Contains(got, fmt.Sprintf("AY%dAZ", seq)) {
			return
		}
	}
	c.tb.Fatal("no answer to the probe")
}

// TestRandomGarbageKeepsSessionAlive throws random bytes, near-miss
// messages and oversized lines at a logged-in session: it always answers
// the next good message, and nothing in the store changes.
func TestRandomGarbageKeepsSessionAlive(t *testing.T) {
	e := newEnv(t)
	before, err := e.svc.StateHash(context.Background())
	must(t, err)
	c := e.dial()
	c.login()
	r := rand.New(rand.NewPCG(1, 2))
	near := []string{"11", "09", "23", "63", "29", "37", "15", "17", "19", "01", "25", "65", "35", "93", "97", "99", "XX"}
	rounds := 400
	if testing.Short() {
		rounds = 100
	}
	for i := 0; i < rounds; i++ {
		var b []byte
		switch i % 4 {
		case 0: // random bytes, any value
			b = make([]byte, r.IntN(300))
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
		case 1: // a known code with random printable junk, sometimes checksummed
			s := near[r.IntN(len(near))] + randPrintable(r, r.IntN(80))
			if r.IntN(2) == 0 {
				s = withAZ(s + "AY1AZ####")
			}
			b = []byte(s)
		case 2: // a wrong checksum
			b = []byte(near[r.IntN(len(near))] + randPrintable(r, 40) + "AY3AZ" + fmt.Sprintf("%04X", r.IntN(65536)))
		case 3: // too long
			b = []byte(strings.Repeat("A", 9000+r.IntN(5000)))
		}
		c.send(string(b) + "\r")
		c.probe(i % 10)
	}
	after, err := e.svc.StateHash(context.Background())
	must(t, err)
	if before != after {
		t.Fatal("garbage changed the store")
	}
	// The session still lends.
	c.send(withAZ("11YN20261123    100000                  AOSTACKS|AA21000001|AB39000001|AC|AD1234|AY5AZ####") + "\r")
	if got := c.read(); !strings.HasPrefix(got, "121") {
		t.Fatalf("checkout after garbage: %q", got)
	}
}

func randPrintable(r *rand.Rand, n int) string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ |YN"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// readEOF waits for the server to close the connection.
func readEOF(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection within %s", within)
	}
}

// TestIdleSessionTimesOut: a kiosk that says nothing is disconnected.
func TestIdleSessionTimesOut(t *testing.T) {
	e := newEnv(t, func(c *sip2.Config) { c.IdleTimeout = 200 * time.Millisecond })
	c := e.dial()
	c.login()
	readEOF(t, c.c, 5*time.Second)
}

// TestSlowLorisTimesOut: a message started but never finished is cut off
// after MessageTimeout even though the idle timeout is long.
func TestSlowLorisTimesOut(t *testing.T) {
	e := newEnv(t, func(c *sip2.Config) { c.IdleTimeout = time.Hour; c.MessageTimeout = 300 * time.Millisecond })
	c := e.dial()
	c.send("9900802")
	readEOF(t, c.c, 5*time.Second)
	if !strings.Contains(e.logs.String(), "timed out") {
		t.Fatalf("no timeout logged:\n%s", e.logs.String())
	}
}

// TestTerminators: CR, LF and CRLF all end a message.
func TestTerminators(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.login()
	for i, term := range []string{"\r", "\n", "\r\n"} {
		c.send(withAZ(fmt.Sprintf("9900802.00AY%dAZ####", i)) + term)
		if got := c.read(); !strings.HasPrefix(got, "98") {
			t.Fatalf("%q: %q", term, got)
		}
	}
}

// TestShutdownClosesSessions: Shutdown ends idle sessions at once.
func TestShutdownClosesSessions(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.login()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	must(t, e.srv.Shutdown(ctx))
	readEOF(t, c.c, 5*time.Second)
}

// TestConcurrentKiosks: kiosks lend at once through the client, each
// transaction applied once.
func TestConcurrentKiosks(t *testing.T) {
	e := newEnv(t)
	const kiosks = 6
	var wg sync.WaitGroup
	errs := make(chan error, kiosks)
	cards := []string{"21000001", "21000003", "21000004", "21000005", "21000001", "21000003"}
	for k := 0; k < kiosks; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			cl, err := sip2.Dial(context.Background(), e.addr, nil)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			if err := cl.Login("kiosk1", "kiosk-pass", fmt.Sprintf("K%d", k)); err != nil {
				errs <- err
				return
			}
			resp, err := cl.Checkout("STACKS", cards[k], "1234", fmt.Sprintf("3900000%d", k+1))
			if err != nil {
				errs <- err
				return
			}
			if !strings.HasPrefix(resp.Fixed, "1") {
				errs <- fmt.Errorf("kiosk %d: %s", k, resp)
			}
		}(k)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for k := 0; k < kiosks; k++ {
		it, err := e.svc.ItemByBarcode(e.desk, fmt.Sprintf("3900000%d", k+1))
		must(t, err)
		if it.Status != domain.ItemCheckedOut {
			t.Errorf("%s is %s", it.Barcode, it.Status)
		}
	}
}

// TestClientAsksForResend: the client answers a garbled response with 97
// and resends a request the ACS asked for again (96).
func TestClientAsksForResend(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	var got []string
	done := make(chan struct{})
	go func() { // a fake ACS that garbles its first answer and asks for one resend
		defer close(done)
		br := bufio.NewReader(b)
		answers := []string{"96AZFEF6", "941AY0AZFDFC", "941AY0AZFDFD"}
		for _, ans := range answers {
			line, err := br.ReadString('\r')
			if err != nil {
				return
			}
			got = append(got, strings.TrimSuffix(line, "\r"))
			b.Write([]byte(ans + "\r"))
		}
	}()
	cl := sip2.NewClient(a)
	if err := cl.Login("u", "p", "l"); err != nil {
		t.Fatal(err)
	}
	<-done
	want := []string{"9300CNu|COp|CPl|AY0AZF954", "9300CNu|COp|CPl|AY0AZF954", "97AZFEF5"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("client sent %q, want %q", got, want)
	}
}
