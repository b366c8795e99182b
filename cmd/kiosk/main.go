// Command kiosk is a reference self-check kiosk for the terminal. It finds
// the branch's appliance over mDNS (_sip2._tcp) or takes --acs, logs in over
// SIP2, and lets a patron identify, check out, check in, renew (one item or
// all) and pay, printing a receipt. "kiosk script FILE" runs the same steps from a file;
// "kiosk discover" lists the appliances it can see.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/term"

	"stacks/hardware/discovery"
	"stacks/hardware/sip2"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

type options struct {
	acs, branch, user, password, location, inst string
	ifaces                                      string
	discoverTimeout                             time.Duration
	useTLS, insecure                            bool
	caFile                                      string
	lang                                        string
	rfid                                        rfidOptions
	// api is the appliance's HTTP API, for help requests (help.go).
	api      string
	helpWait time.Duration
	printer  string // receipt printer (printing.go)
}

func run(args []string, in io.Reader, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&o.acs, "acs", "", "address of the appliance's SIP2 server (default: find it with mDNS)")
	fs.StringVar(&o.branch, "branch", "", "with mDNS, pick the appliance of this branch")
	fs.StringVar(&o.ifaces, "mdns-iface", "*", "interfaces to browse for mDNS (comma-separated; * for all)")
	fs.DurationVar(&o.discoverTimeout, "discover-timeout", 10*time.Second, "how long to look for the appliance")
	fs.StringVar(&o.user, "user", "demo-kiosk", "kiosk account")
	fs.StringVar(&o.password, "password", "demo-kiosk", "kiosk account password")
	fs.StringVar(&o.location, "location", "KIOSK", "this kiosk's location code")
	fs.StringVar(&o.inst, "institution", "", "institution ID (default: the appliance's)")
	fs.BoolVar(&o.useTLS, "tls", false, "use TLS (also when the appliance advertises it)")
	fs.StringVar(&o.caFile, "tls-ca", "", "PEM CA that signs the appliance's certificate")
	fs.BoolVar(&o.insecure, "tls-insecure", false, "do not verify the appliance's certificate (testing only)")
	fs.StringVar(&o.lang, "lang", "en", "the language of the first screen (en, fi); the patron may switch it")
	registerRFIDFlags(fs, &o.rfid)
	fs.StringVar(&o.api, "api", "", "the appliance's HTTP API, for help requests and the survey at the end of a session (default: find _stacks._tcp with mDNS when --acs is not given)")
	fs.DurationVar(&o.helpWait, "help-wait", 3*time.Minute, "how long the screen waits for staff to answer a help request")
	fs.StringVar(&o.printer, "printer", "", "this kiosk's receipt printer, tcp://HOST:9100 or /dev/usb/lp0 (none: receipts on the screen only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pad, err := openRFID(o.rfid)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "discover" {
		return discover(ctx, o, out)
	}
	k, err := connect(ctx, o, out)
	if err != nil {
		return err
	}
	defer k.cl.Close()
	k.rfid = pad
	if o.printer != "" {
		if k.printer, err = newReceiptPrinter(o.printer, os.Stderr); err != nil {
			return err
		}
		defer k.printer.close(10 * time.Second)
	}
	switch {
	case len(rest) == 0:
		return interactive(k, in)
	case rest[0] == "script" && len(rest) == 2:
		f, err := os.Open(rest[1])
		if err != nil {
			return err
		}
		defer f.Close()
		return script(k, f)
	}
	return fmt.Errorf("usage: kiosk [flags] [script FILE | discover]")
}

func ifaceList(o options) []string {
	var names []string
	for _, n := range strings.Split(o.ifaces, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func discover(ctx context.Context, o options, out io.Writer) error {
	ifaces, err := discovery.Interfaces(ifaceList(o))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.discoverTimeout)
	defer cancel()
	return discovery.Browse(ctx, ifaces, discovery.SIP2Service, func(f discovery.Found) bool {
		fmt.Fprintf(out, "%s\t%s\tbranch=%s institution=%s tls=%v sip2=%s\n", f.Instance, f.Addr(), f.Info.Branch, f.Info.Institution, f.Info.TLS, f.Info.Protocol)
		return true
	})
}

// connect finds the appliance, opens the session and logs in.
func connect(ctx context.Context, o options, out io.Writer) (*kiosk, error) {
	addr, useTLS := o.acs, o.useTLS
	if addr == "" {
		ifaces, err := discovery.Interfaces(ifaceList(o))
		if err != nil {
			return nil, err
		}
		dctx, cancel := context.WithTimeout(ctx, o.discoverTimeout)
		f, err := discovery.Find(dctx, ifaces, discovery.SIP2Service, o.branch)
		cancel()
		if err != nil {
			return nil, err
		}
		addr, useTLS = f.Addr(), useTLS || f.Info.TLS
		fmt.Fprintf(out, "found %s (branch %s) at %s\n", f.Instance, f.Info.Branch, addr)
	}
	var tcfg *tls.Config
	if useTLS {
		tcfg = &tls.Config{InsecureSkipVerify: o.insecure, MinVersion: tls.VersionTLS12}
		if o.caFile != "" {
			pem, err := os.ReadFile(o.caFile)
			if err != nil {
				return nil, err
			}
			tcfg.RootCAs = x509.NewCertPool()
			if !tcfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, errors.New("no certificate in --tls-ca")
			}
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := sip2.Dial(dctx, addr, tcfg)
	if err != nil {
		return nil, err
	}
	if err := cl.Login(o.user, o.password, o.location); err != nil {
		cl.Close()
		return nil, fmt.Errorf("logging in as %s: %w", o.user, err)
	}
	texts, err := loadTexts()
	if err == nil && !texts.speaks(o.lang) {
		err = fmt.Errorf("--lang %q: the kiosk speaks %s", o.lang, strings.Join(languages, ", "))
	}
	if err != nil {
		cl.Close()
		return nil, err
	}
	k := &kiosk{cl: cl, out: out, inst: o.inst, location: o.location, texts: texts}
	k.chosen = o.lang
	k.setLanguage(o.lang)
	api := apiBase(ctx, o, out)
	k.help = connectHelp(api, o)
	k.fb = newFeedbackAPI(api, o)
	if err := k.hello(); err != nil {
		cl.Close()
		return nil, err
	}
	fmt.Fprintf(out, "connected to %s (%s) at %s as %s\n", k.library, k.inst, addr, o.user)
	return k, nil
}

// script runs one command a line: identify CARD PIN, checkout BARCODE,
// checkin BARCODE, renew BARCODE, renew-all, pay AMOUNT, info BARCODE,
// status, end. Each prints "COMMAND ok: ..." or "COMMAND refused: ...".
func script(k *kiosk, in io.Reader) error {
	sc := bufio.NewScanner(in)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		arg := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		var r result
		var err error
		switch f[0] {
		case "pad", "pad-checkout", "pad-checkin", "pad-override":
			if err := k.padScript(f); err != nil {
				return fmt.Errorf("line %d: %s: %w", n, f[0], err)
			}
			continue
		case "identify":
			r, err = k.identify(arg(1), arg(2))
		case "checkout":
			r, err = k.checkout(arg(1))
		case "checkin":
			r, err = k.checkin(arg(1))
		case "renew":
			r, err = k.renew(arg(1))
		case "renew-all":
			r, err = k.renewAll()
		case "pay":
			r, err = k.pay(arg(1))
		case "info":
			r, err = k.info(arg(1))
		case "status":
			err = k.hello()
			r = result{ok: err == nil, msg: k.library + " is on-line."}
		case "end":
			r, err = k.end()
		case "help":
			r, err = k.askHelp(strings.TrimSpace(strings.TrimPrefix(line, "help")))
		case "help-wait":
			r, err = k.waitHelp()
		case "help-reply":
			r, err = k.replyHelp(strings.TrimSpace(strings.TrimPrefix(line, "help-reply")))
		case "feedback":
			r, err = k.feedbackScript(f[1:])
		case "events":
			r, err = k.todaysEvents(time.Now())
		default:
			return fmt.Errorf("line %d: unknown command %q", n, f[0])
		}
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", n, f[0], err)
		}
		fmt.Fprintf(k.out, "%s %s\n", f[0], r)
	}
	return sc.Err()
}

// interactive is the patron's screen.
func interactive(k *kiosk, in io.Reader) error {
	sc := bufio.NewScanner(in)
	ask := func(prompt string) (string, bool) {
		k.printf("%s", prompt)
		if !sc.Scan() {
			return "", false
		}
		return strings.TrimSpace(sc.Text()), true
	}
	// askSecret reads a PIN without showing it when the kiosk's input is a
	// terminal (anyone behind the patron could read it on the screen);
	// from a pipe it reads a line like ask.
	askSecret := ask
	if f, isFile := in.(*os.File); isFile && term.IsTerminal(int(f.Fd())) {
		askSecret = func(prompt string) (string, bool) {
			k.printf("%s", prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			k.printf("\n")
			if err != nil {
				return "", false
			}
			return strings.TrimSpace(string(b)), true
		}
	}
	for {
		k.printf("\n%s  %s  %s  %s\n", k.T("welcome", k.library), k.T("choose_language"), k.T("help.first_screen"), k.T("events.first_screen"))
		card, ok := ask(k.T("scan_card"))
		if !ok || card == "q" {
			return nil
		}
		if card == "h" {
			helpScreen(k, ask)
			continue
		}
		if card == "e" {
			r, _ := k.todaysEvents(time.Now())
			k.printf("%s\n", r.msg)
			continue
		}
		if card == "l" {
			k.chosen = k.nextLanguage()
			k.setLanguage(k.chosen)
			continue
		}
		if card == "" {
			continue
		}
		pin := ""
		if !isEventTicket(card) { // a ticket checks in with no PIN
			if pin, ok = askSecret(k.T("pin")); !ok {
				return nil
			}
		}
		r, err := k.identify(card, pin)
		if err != nil {
			return err
		}
		k.printf("%s\n", r.msg)
		if !r.ok {
			continue
		}
		for done := false; !done; {
			if k.rfid != nil {
				k.printf("\n%s", k.T("rfid.menu"))
			}
			k.printf("\n%s\n", k.T("help.menu_item"))
			choice, ok := ask(k.T("menu"))
			if !ok {
				choice = "d"
			}
			var r result
			var err error
			switch choice {
			case "o", "i", "r":
				barcode, ok := ask(k.T("scan_item"))
				if !ok || barcode == "" {
					continue
				}
				switch choice {
				case "o":
					r, err = k.checkout(barcode)
				case "i":
					r, err = k.checkin(barcode)
				default:
					r, err = k.renew(barcode)
				}
			case "a":
				r, err = k.renewAll()
			case "p":
				amount, ok := ask(k.T("amount"))
				if !ok || amount == "" {
					continue
				}
				r, err = k.pay(amount)
			case "h":
				helpScreen(k, ask)
				continue
			case "d":
				k.offerFeedback(ask)
				r, err = k.end()
				done = true
			default:
				if handled, err := k.padMenu(choice, ask, askSecret); handled && err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			k.printf("%s\n", r.msg)
		}
	}
}
