package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/hardware/discovery"
	"stacks/hardware/escpos"
	"stacks/hardware/escpos/receipt"
	"stacks/hardware/sip2"
	"stacks/node/apitype"
	"stacks/node/httpapi"
	"stacks/node/printspool"
)

// PrintingConfig is the branch's receipt printers (flags --printer,
// --printer-mdns, --printer-codepage, --hold-slip-name).
type PrintingConfig struct {
	// Printers are named printers (tcp://HOST:9100, file:///dev/usb/lp0);
	// the first is the default.
	Printers []PrinterSpec
	// MDNS adds the printers found as _pdl-datastream._tcp on the mDNS
	// interfaces (MDNSIfaces, or all).
	MDNS bool
	// CodePage is PC858 (default) or WPC1252.
	CodePage string
	// HoldSlipName is how a hold slip names the patron: initials (default:
	// initials and the card's last four digits), full, or card.
	HoldSlipName string
	// Timeout bounds a status query or connection (default 3 s);
	// MaxBackoff the pause between tries of a waiting job (default 30 s).
	Timeout, MaxBackoff time.Duration
	// WelcomeFrom are the addresses of the branch's own public terminals
	// (--welcome-slip-from): a patron who self-registers on the web from
	// one of them gets the welcome slip with the new card's barcode on the
	// default printer. Empty: registrations print nothing (a patron at
	// home is not standing at the printer).
	WelcomeFrom []netip.Prefix
}

// Enabled says whether this node prints.
func (c PrintingConfig) Enabled() bool { return len(c.Printers) > 0 || c.MDNS }

// Validate reports a configuration that cannot work.
func (c PrintingConfig) Validate() error {
	seen := map[string]bool{}
	for _, p := range c.Printers {
		if seen[p.Name] {
			return fmt.Errorf("node: two printers named %q", p.Name)
		}
		seen[p.Name] = true
		if _, err := escpos.Open(p.URL, 0); err != nil {
			return err
		}
	}
	if _, ok := escpos.CodePages[c.codePage()]; !ok {
		return fmt.Errorf("node: code page %q: want PC858 or WPC1252", c.CodePage)
	}
	_, err := receipt.ParseNameMode(c.HoldSlipName)
	return err
}

func (c PrintingConfig) codePage() string {
	if c.CodePage == "" {
		return escpos.PC858.Name
	}
	return c.CodePage
}

// PrinterSpec is one configured printer.
type PrinterSpec struct {
	Name string
	URL  string
}

var printerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// ParsePrinters reads --printer values: a comma list of [NAME=]URL; a
// printer without a name is "receipt" (the first) or "printerN".
func ParsePrinters(values []string) ([]PrinterSpec, error) {
	var out []PrinterSpec
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			name, url, ok := strings.Cut(s, "=")
			if !ok {
				name, url = "", s
				if len(out) == 0 {
					name = "receipt"
				} else {
					name = fmt.Sprintf("printer%d", len(out)+1)
				}
			}
			if !printerName.MatchString(name) {
				return nil, fmt.Errorf("printer name %q: letters, digits, '.', '_' and '-'", name)
			}
			if _, err := escpos.Open(url, 0); err != nil {
				return nil, err
			}
			out = append(out, PrinterSpec{Name: name, URL: url})
		}
	}
	return out, nil
}

// printing is a branch's receipt printing: the spool, the printouts, and
// what goes into the spool after circulation (httpapi.Printing).
type printing struct {
	n        *Node
	lg       *slog.Logger
	sp       *printspool.Spool
	po       *receipt.Printouts
	nameMode receipt.NameMode
	timeout  time.Duration
	mu       sync.Mutex
	found    map[string]string // printers found by mDNS: name -> URL
}

var _ httpapi.Printing = (*printing)(nil)

const spoolFile = "printspool.db"

// openPrint opens the print spool (its own file in the data dir, not
// replicated) and adds the configured printers.
func (n *Node) openPrint(ctx context.Context) error {
	c := n.cfg.Printing
	if !c.Enabled() || n.isCentral() {
		return nil
	}
	if err := c.Validate(); err != nil {
		return err
	}
	po, err := receipt.New(escpos.CodePages[c.codePage()])
	if err != nil {
		return err
	}
	mode, _ := receipt.ParseNameMode(c.HoldSlipName)
	scfg := printspool.DefaultConfig(filepath.Join(n.cfg.DataDir, spoolFile))
	scfg.Clock, scfg.Logger = n.cfg.Clock, n.lg
	if c.MaxBackoff > 0 {
		scfg.MaxBackoff = c.MaxBackoff
		scfg.MinBackoff = min(scfg.MinBackoff, c.MaxBackoff)
	}
	sp, err := printspool.Open(ctx, scfg)
	if err != nil {
		return err
	}
	n.closers.add(func() { sp.Close() })
	p := &printing{n: n, lg: n.lg.With("subsystem", "printing"), sp: sp, po: po, nameMode: mode, timeout: c.Timeout, found: map[string]string{}}
	for _, ps := range c.Printers {
		pr, _ := escpos.Open(ps.URL, c.Timeout)
		sp.AddPrinter(ps.Name, ps.URL, pr)
	}
	n.printing = p
	n.metrics.reg.MustRegister(printCollector{p: p})
	return nil
}

// printCollector reports the jobs not yet printed per printer when
// scraped (stacks_print_jobs_queued).
type printCollector struct{ p *printing }

var printQueuedDesc = prometheus.NewDesc("stacks_print_jobs_queued", "Print jobs not yet printed (queued, printing or waiting), per printer.", []string{"printer"}, nil)

func (c printCollector) Describe(ch chan<- *prometheus.Desc) { ch <- printQueuedDesc }

func (c printCollector) Collect(ch chan<- prometheus.Metric) {
	ps, err := c.p.sp.Printers(context.Background())
	if err != nil {
		return
	}
	for _, pr := range ps {
		ch <- prometheus.MustNewConstMetric(printQueuedDesc, prometheus.GaugeValue, float64(pr.Queued), pr.Name)
	}
}

// runPrinting runs the spool's printers and, when asked, looks for more
// with mDNS, until ctx is done.
func (n *Node) runPrinting(ctx context.Context) {
	p := n.printing
	if n.cfg.Printing.MDNS {
		go p.browse(ctx)
	}
	p.lg.Info("printing", "printers", len(n.cfg.Printing.Printers), "mdns", n.cfg.Printing.MDNS, "spool", filepath.Join(n.cfg.DataDir, spoolFile))
	p.sp.Run(ctx)
}

// browse adds the raw-port printers found by mDNS, named by their
// instance names.
func (p *printing) browse(ctx context.Context) {
	names := p.n.cfg.MDNSIfaces
	if len(names) == 0 {
		names = []string{"*"}
	}
	ifaces, err := discovery.Interfaces(names)
	if err != nil {
		p.lg.Error("printer discovery not started", "err", err)
		return
	}
	err = discovery.Browse(ctx, ifaces, escpos.MDNSService, func(f discovery.Found) bool {
		name := strings.Map(func(r rune) rune {
			if r == ' ' {
				return '-'
			}
			return r
		}, f.Instance)
		if !printerName.MatchString(name) {
			name = "mdns-" + f.Addr()
		}
		url := "tcp://" + f.Addr()
		p.mu.Lock()
		known := p.found[name] == url
		p.found[name] = url
		p.mu.Unlock()
		if !known && (!p.sp.Has(name) || p.isFound(name)) {
			p.sp.AddPrinter(name, url, &escpos.TCPPrinter{Addr: f.Addr(), Timeout: p.timeout})
			p.lg.Info("printer found with mDNS", "printer", name, "url", url)
		}
		return true
	})
	if err != nil && ctx.Err() == nil {
		p.lg.Error("printer discovery", "err", err)
	}
}

// isFound says a printer came from mDNS (a configured one is never
// replaced by a found one of the same name).
func (p *printing) isFound(name string) bool {
	for _, c := range p.n.cfg.Printing.Printers {
		if c.Name == name {
			return false
		}
	}
	return true
}

func printJob(j printspool.Job) apitype.PrintJob {
	return apitype.PrintJob{ID: j.ID, Printer: j.Printer, Kind: j.Kind, Title: j.Title, State: string(j.State), Detail: j.Detail,
		Attempts: j.Attempts, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
}

// spoolErr turns the spool's errors into refusals.
func spoolErr(err error) error {
	switch {
	case errors.Is(err, printspool.ErrNotFound):
		return &domain.Error{Code: domain.CodeNotFound, Message: "There is no such print job."}
	case errors.Is(err, printspool.ErrUnknownPrinter):
		return &domain.Error{Code: domain.CodeInvalid, Message: "There is no printer of that name."}
	case errors.Is(err, printspool.ErrFinished):
		return &domain.Error{Code: domain.CodeInvalid, Message: "That job is printing or has finished."}
	}
	return err
}

func (p *printing) PrintJobs(ctx context.Context) ([]apitype.PrintJob, error) {
	js, err := p.sp.Jobs(ctx, 200)
	out := make([]apitype.PrintJob, 0, len(js))
	for _, j := range js {
		out = append(out, printJob(j))
	}
	return out, err
}

func (p *printing) Printers(ctx context.Context) ([]apitype.Printer, error) {
	ps, err := p.sp.Printers(ctx)
	out := make([]apitype.Printer, 0, len(ps))
	for _, pr := range ps {
		st := pr.Status.String()
		if pr.Seen.IsZero() {
			st = "not tried yet"
		}
		out = append(out, apitype.Printer{Name: pr.Name, URL: pr.URL, Status: st, Ready: pr.Status.Ready(), Seen: pr.Seen, Queued: pr.Queued})
	}
	return out, err
}

func (p *printing) CancelPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error) {
	j, err := p.sp.Cancel(ctx, id)
	return printJob(j), spoolErr(err)
}

func (p *printing) MovePrintJob(ctx context.Context, id int64, printer string) (apitype.PrintJob, error) {
	j, err := p.sp.Move(ctx, id, printer)
	return printJob(j), spoolErr(err)
}

func (p *printing) RetryPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error) {
	j, err := p.sp.Retry(ctx, id)
	return printJob(j), spoolErr(err)
}

// header is the top of a printout at this branch, in lang.
func (p *printing) header(ctx context.Context, lang string) receipt.Header {
	svc := p.n.svc
	h := receipt.Header{Library: p.n.cfg.Branding.Name, Lang: lang, Printed: svc.Now().In(p.n.cfg.Location)}
	if l, err := svc.Library(ctx, svc.Branch()); err == nil {
		h.Branch = l.Name
	}
	if h.Library == "" {
		h.Library, h.Branch = h.Branch, ""
	}
	return h
}

// enqueue puts a printout about patronID ("" if none) into the spool; a failure to lay it out or to
// queue it is logged, never the caller's failure.
func (p *printing) enqueue(ctx context.Context, patronID, printer, kind, title string, data []byte, err error) (apitype.PrintJob, error) {
	if err != nil {
		return apitype.PrintJob{}, err
	}
	j, err := p.sp.EnqueueFor(ctx, patronID, printer, kind, title, data)
	return printJob(j), spoolErr(err)
}

// PatronReceipt queues a receipt for a patron: today's loans (or returns)
// at this branch, a welcome with the card's barcode, or a handoff code.
func (p *printing) PatronReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (apitype.PrintJob, error) {
	svc := p.n.svc
	pat, err := svc.Patron(ctx, patronID)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	if req.Printer != "" && !p.sp.Has(req.Printer) {
		return apitype.PrintJob{}, spoolErr(printspool.ErrUnknownPrinter)
	}
	h := p.header(ctx, pat.Language)
	label := receipt.PatronLabel(pat.Firstname, pat.Surname, pat.Cardnumber, receipt.NameCard)
	switch req.Kind {
	case "", apitype.ReceiptCheckout, apitype.ReceiptCheckin:
		returns := req.Kind == apitype.ReceiptCheckin
		loans, err := svc.PatronLoans(ctx, patronID, returns)
		if err != nil {
			return apitype.PrintJob{}, err
		}
		today := h.Printed.Format(domain.DateLayout)
		if returns {
			var items []receipt.Returned
			for _, l := range loans {
				if l.ReturnedAt != "" && l.ReturnBranch == svc.Branch() && p.localDay(l.ReturnedAt) == today {
					items = append(items, receipt.Returned{Title: l.Title, Barcode: l.Barcode})
				}
			}
			data, err := p.po.Checkin(receipt.Checkin{Header: h, Patron: label, Items: items, Currency: p.n.cfg.SIP2Currency})
			return p.enqueue(ctx, patronID, req.Printer, apitype.ReceiptCheckin, fmt.Sprintf("return receipt %s (%d items)", label, len(items)), data, err)
		}
		var out []receipt.Loan
		for _, l := range loans {
			if l.Digital || l.ReturnedAt != "" || l.BranchID != svc.Branch() || p.localDay(l.IssuedAt) != today {
				continue
			}
			rl := receipt.Loan{Title: l.Title, Barcode: l.Barcode}
			rl.Due, _ = time.Parse(domain.DateLayout, l.DueDate)
			if it, err := svc.Item(ctx, l.ItemID); err == nil {
				rl.Parts = it.Properties
			}
			out = append(out, rl)
		}
		data, err := p.po.Checkout(receipt.Checkout{Header: h, Patron: label, Loans: out})
		return p.enqueue(ctx, patronID, req.Printer, apitype.ReceiptCheckout, fmt.Sprintf("checkout receipt %s (%d loans)", label, len(out)), data, err)
	case apitype.ReceiptWelcome:
		data, err := p.po.Welcome(receipt.Welcome{Header: h, Name: pat.Name(), Card: pat.Cardnumber})
		return p.enqueue(ctx, patronID, req.Printer, apitype.ReceiptWelcome, "welcome "+label, data, err)
	case apitype.ReceiptHandoff:
		if p.n.handoff == nil {
			return apitype.PrintJob{}, &domain.Error{Code: domain.CodeInvalid, Message: "Handoff codes are not available here."}
		}
		intent := req.Intent
		if intent == "" {
			intent = handoff.IntentKioskLogin
		}
		is, err := p.n.handoff.Issue(ctx, patronID, intent)
		if err != nil {
			return apitype.PrintJob{}, err
		}
		exp, _ := time.Parse(time.RFC3339, is.ExpiresAt)
		if exp.IsZero() {
			exp, _ = time.Parse(domain.TimeLayout, is.ExpiresAt)
		}
		if !exp.IsZero() {
			exp = exp.In(p.n.cfg.Location)
		}
		data, err := p.po.Handoff(receipt.Handoff{Header: h, Code: is.Code, QR: is.QR, Expires: exp})
		return p.enqueue(ctx, patronID, req.Printer, apitype.ReceiptHandoff, "handoff code "+label, data, err)
	case apitype.ReceiptTicket:
		data, title, err := p.ticket(ctx, h, patronID, req.RegistrationID)
		if err != nil {
			return apitype.PrintJob{}, err
		}
		return p.enqueue(ctx, patronID, req.Printer, apitype.ReceiptTicket, title+" "+label, data, nil)
	}
	return apitype.PrintJob{}, &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("There is no receipt %q; choose checkout, checkin, welcome, handoff or ticket.", req.Kind)}
}

// ticket lays out the ticket of the patron's event registration regID,
// with its QR code (the ticket's code, as the web shows it).
func (p *printing) ticket(ctx context.Context, h receipt.Header, patronID, regID string) ([]byte, string, error) {
	if p.n.events == nil {
		return nil, "", &domain.Error{Code: domain.CodeInvalid, Message: "Events are not available here."}
	}
	if regID == "" {
		return nil, "", &domain.Error{Code: domain.CodeInvalid, Message: "Name the event registration whose ticket to print (registration_id)."}
	}
	r, err := p.n.events.Registration(ctx, regID)
	if err != nil || r.PatronID != patronID {
		return nil, "", &domain.Error{Code: domain.CodeNotFound, Message: fmt.Sprintf("The patron has no event registration %s.", regID)}
	}
	if r.Status != domain.EventRegistered || r.Ticket == "" || r.Event == nil {
		return nil, "", &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("Registration %s has no ticket (it is %s).", regID, r.Status)}
	}
	e := r.Event
	tk := receipt.Ticket{Header: h, Event: e.Title, Seats: r.Seats, Code: r.Ticket, QR: r.Ticket}
	if t, err := time.Parse(time.RFC3339, e.Start); err == nil {
		tk.When = t.In(p.n.cfg.Location)
	}
	where := []string{}
	if e.Room != "" {
		where = append(where, e.Room)
	}
	if l, err := p.n.svc.Library(ctx, e.LibraryID); err == nil && l.Name != "" {
		where = append(where, l.Name)
	} else if e.LibraryID != "" {
		where = append(where, e.LibraryID)
	}
	tk.Where = strings.Join(where, ", ")
	data, err := p.po.Ticket(tk)
	return data, "ticket " + r.Ticket, err
}

// Welcome queues the welcome slip of a patron who self-registered on the
// web from one of the branch's terminals (WelcomeFrom); web.Welcomer.
func (p *printing) Welcome(ctx context.Context, patronID string, client netip.Addr) bool {
	at := false
	for _, pr := range p.n.cfg.Printing.WelcomeFrom {
		at = at || pr.Contains(client)
	}
	if !at {
		return false
	}
	if _, err := p.PatronReceipt(ctx, patronID, apitype.ReceiptRequest{Kind: apitype.ReceiptWelcome}); err != nil {
		p.lg.Error("welcome slip not queued", "err", err)
		return false
	}
	return true
}

// localDay is the branch's date of a stamp.
func (p *printing) localDay(stamp string) string {
	t, err := time.Parse(domain.TimeLayout, stamp)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, stamp); err != nil {
			return ""
		}
	}
	return t.In(p.n.cfg.Location).Format(domain.DateLayout)
}

// AfterCheckin queues the hold slip of a checkin that trapped a hold, or
// the transit slip of one that sends the item elsewhere.
func (p *printing) AfterCheckin(ctx context.Context, res *domain.CheckinResult) {
	if res == nil || res.Item == nil {
		return
	}
	svc := p.n.svc
	it := res.Item
	lang := ""
	if res.HoldPatron != nil {
		lang = res.HoldPatron.Language
	}
	h := p.header(ctx, lang)
	branchName := func(id string) string {
		if l, err := svc.Library(ctx, id); err == nil && l.Name != "" {
			return l.Name
		}
		return id
	}
	var err error
	var data []byte
	var kind, title string
	switch {
	case res.TransitTo != "" && res.TransitTo != svc.Branch():
		kind, title = "transit", "transit slip "+it.Barcode+" to "+res.TransitTo
		data, err = p.po.TransitSlip(receipt.TransitSlip{Header: h, Title: it.Title, Barcode: it.Barcode, To: branchName(res.TransitTo),
			From: branchName(svc.Branch()), Hold: res.Hold != nil})
	case res.Hold != nil && res.HoldPatron != nil:
		hs := receipt.HoldSlip{Header: h, Title: it.Title, Barcode: it.Barcode, CallNumber: it.CallNumber,
			Patron:       receipt.PatronLabel(res.HoldPatron.Firstname, res.HoldPatron.Surname, res.HoldPatron.Cardnumber, p.nameMode),
			PickupBranch: branchName(res.Hold.PickupBranch)}
		if d, perr := time.Parse(domain.DateLayout, res.Hold.ShelfExpires); perr == nil {
			hs.PickupBy = d
		}
		kind, title = "hold", "hold slip "+it.Barcode+" for "+hs.Patron
		data, err = p.po.HoldSlip(hs)
	default:
		return
	}
	slipFor := ""
	if res.HoldPatron != nil {
		slipFor = res.HoldPatron.PatronID
	}
	if _, err := p.enqueue(ctx, slipFor, "", kind, title, data, err); err != nil {
		p.lg.Error("slip not queued", "kind", kind, "item", it.Barcode, "err", err)
	}
}

// AfterPayment queues a payment receipt.
func (p *printing) AfterPayment(ctx context.Context, patronID string, req domain.PaymentRequest, acct *domain.Account) {
	pat, err := p.n.svc.Patron(ctx, patronID)
	if err != nil || acct == nil {
		return
	}
	label := receipt.PatronLabel(pat.Firstname, pat.Surname, pat.Cardnumber, receipt.NameCard)
	data, err := p.po.Payment(receipt.Payment{Header: p.header(ctx, pat.Language), Patron: label, AmountCents: req.AmountCents,
		BalanceCents: acct.BalanceCents, Currency: p.n.cfg.SIP2Currency, Method: req.Method})
	if _, err := p.enqueue(ctx, patronID, "", "payment", "payment receipt "+label, data, err); err != nil {
		p.lg.Error("payment receipt not queued", "err", err)
	}
}

// printingLibrary is the SIP2 ACS's library with slips printed after a
// kiosk's or a returns machine's checkin.
type printingLibrary struct {
	sip2Library
	p *printing
}

// sip2Library names the embedded library (a field named Library would
// hide the method of that name).
type sip2Library = sip2.Library

func (l printingLibrary) Checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error) {
	res, err := l.sip2Library.Checkin(ctx, req)
	if err == nil {
		l.p.AfterCheckin(ctx, res)
	}
	return res, err
}

// printingSIP2 is lib, printing slips when this node prints.
func (n *Node) printingSIP2(lib sip2.Library) sip2.Library {
	if n.printing == nil {
		return lib
	}
	return printingLibrary{sip2Library: lib, p: n.printing}
}

// PrintJobs lists the spool's jobs (for tests and tools); nil without
// printers.
func (n *Node) PrintJobs(ctx context.Context) ([]apitype.PrintJob, error) {
	if n.printing == nil {
		return nil, nil
	}
	return n.printing.PrintJobs(ctx)
}
