package clienttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/hardware/escpos"
	"stacks/hardware/escpos/emulator"
	"stacks/hardware/escpos/receipt"
	"stacks/node/apitype"
	"stacks/node/httpapi"
	"stacks/node/printspool"
)

// Printers is the fixture's receipt printing (Options.Printing): a
// durable spool (real SQLite in a temp dir, real time) and two emulated
// printers on loopback, "desk" (the default) and "spare". It prints
// checkout and return receipts, welcome slips and event tickets on
// request; slips after checkins and payments are node's (tested there).
type Printers struct {
	Spool       *printspool.Spool
	Desk, Spare *emulator.Server
	svc         *branch.Service
	po          *receipt.Printouts
}

var _ httpapi.Printing = (*Printers)(nil)

func startPrinters(tb testing.TB, svc *branch.Service) *Printers {
	tb.Helper()
	po, err := receipt.New(escpos.PC858)
	must(tb, err)
	cfg := printspool.DefaultConfig(filepath.Join(tb.TempDir(), "printspool.db"))
	cfg.MinBackoff, cfg.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	sp, err := printspool.Open(context.Background(), cfg)
	must(tb, err)
	p := &Printers{Spool: sp, svc: svc, po: po}
	for _, name := range []string{"desk", "spare"} {
		em := emulator.New(emulator.Config{})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(tb, err)
		go em.Serve(ln)
		tb.Cleanup(func() { ln.Close(); em.Shutdown(context.Background()) })
		pr, err := escpos.Open("tcp://"+ln.Addr().String(), time.Second)
		must(tb, err)
		sp.AddPrinter(name, "tcp://"+ln.Addr().String(), pr)
		if name == "desk" {
			p.Desk = em
		} else {
			p.Spare = em
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sp.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done; sp.Close() })
	return p
}

func job(j printspool.Job) apitype.PrintJob {
	return apitype.PrintJob{ID: j.ID, Printer: j.Printer, Kind: j.Kind, Title: j.Title, State: string(j.State), Detail: j.Detail,
		Attempts: j.Attempts, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
}

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

// PatronReceipt queues a checkout receipt of the patron's open loans.
func (p *Printers) PatronReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (apitype.PrintJob, error) {
	if req.Kind == apitype.ReceiptTicket {
		return p.ticket(ctx, patronID, req)
	}
	if req.Kind == apitype.ReceiptCheckin {
		return p.returns(ctx, patronID, req)
	}
	if req.Kind == apitype.ReceiptWelcome {
		pat, err := p.svc.Patron(ctx, patronID)
		if err != nil {
			return apitype.PrintJob{}, err
		}
		data, err := p.po.Welcome(receipt.Welcome{Header: receipt.Header{Library: "Main Library", Lang: pat.Language, Printed: p.svc.Now()}, Name: pat.Name(), Card: pat.Cardnumber})
		if err != nil {
			return apitype.PrintJob{}, err
		}
		j, err := p.Spool.EnqueueFor(ctx, patronID, req.Printer, apitype.ReceiptWelcome, "welcome "+pat.Cardnumber, data)
		return job(j), spoolErr(err)
	}
	if req.Kind != "" && req.Kind != apitype.ReceiptCheckout {
		return apitype.PrintJob{}, &domain.Error{Code: domain.CodeInvalid, Message: "The fixture prints checkout and return receipts and tickets only."}
	}
	pat, err := p.svc.Patron(ctx, patronID)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	loans, err := p.svc.PatronLoans(ctx, patronID, false)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	label := receipt.PatronLabel(pat.Firstname, pat.Surname, pat.Cardnumber, receipt.NameCard)
	c := receipt.Checkout{Header: receipt.Header{Library: "Main Library", Lang: pat.Language, Printed: p.svc.Now()}, Patron: label}
	for _, l := range loans {
		rl := receipt.Loan{Title: l.Title, Barcode: l.Barcode}
		rl.Due, _ = time.Parse(domain.DateLayout, l.DueDate)
		c.Loans = append(c.Loans, rl)
	}
	data, err := p.po.Checkout(c)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	j, err := p.Spool.EnqueueFor(ctx, patronID, req.Printer, apitype.ReceiptCheckout, fmt.Sprintf("checkout receipt %s (%d loans)", label, len(c.Loans)), data)
	return job(j), spoolErr(err)
}

// returns queues a return receipt of the patron's returns today.
func (p *Printers) returns(ctx context.Context, patronID string, req apitype.ReceiptRequest) (apitype.PrintJob, error) {
	pat, err := p.svc.Patron(ctx, patronID)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	loans, err := p.svc.PatronLoans(ctx, patronID, true)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	label := receipt.PatronLabel(pat.Firstname, pat.Surname, pat.Cardnumber, receipt.NameCard)
	c := receipt.Checkin{Header: receipt.Header{Library: "Main Library", Lang: pat.Language, Printed: p.svc.Now()}, Patron: label}
	today := p.svc.Now().Format(domain.DateLayout)
	for _, l := range loans {
		if l.ReturnedAt != "" && strings.HasPrefix(l.ReturnedAt, today) {
			c.Items = append(c.Items, receipt.Returned{Title: l.Title, Barcode: l.Barcode})
		}
	}
	data, err := p.po.Checkin(c)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	j, err := p.Spool.EnqueueFor(ctx, patronID, req.Printer, apitype.ReceiptCheckin, fmt.Sprintf("return receipt %s (%d items)", label, len(c.Items)), data)
	return job(j), spoolErr(err)
}

func (p *Printers) ticket(ctx context.Context, patronID string, req apitype.ReceiptRequest) (apitype.PrintJob, error) {
	r, err := events.NewService(p.svc, events.Config{}).Registration(ctx, req.RegistrationID)
	if err != nil || r.PatronID != patronID {
		return apitype.PrintJob{}, &domain.Error{Code: domain.CodeNotFound, Message: "The patron has no such event registration."}
	}
	if r.Status != domain.EventRegistered || r.Ticket == "" || r.Event == nil {
		return apitype.PrintJob{}, &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("Registration %s has no ticket (it is %s).", r.RegistrationID, r.Status)}
	}
	tk := receipt.Ticket{Header: receipt.Header{Library: "Main Library", Printed: p.svc.Now()}, Event: r.Event.Title, Seats: r.Seats, Code: r.Ticket, QR: r.Ticket}
	tk.When, _ = time.Parse(time.RFC3339, r.Event.Start)
	data, err := p.po.Ticket(tk)
	if err != nil {
		return apitype.PrintJob{}, err
	}
	j, err := p.Spool.EnqueueFor(ctx, patronID, req.Printer, apitype.ReceiptTicket, "ticket "+r.Ticket, data)
	return job(j), spoolErr(err)
}

// PrintJobs lists the spool's jobs, newest first.
func (p *Printers) PrintJobs(ctx context.Context) ([]apitype.PrintJob, error) {
	js, err := p.Spool.Jobs(ctx, 200)
	out := make([]apitype.PrintJob, 0, len(js))
	for _, j := range js {
		out = append(out, job(j))
	}
	return out, err
}

// Printers lists the printers with their last status.
func (p *Printers) Printers(ctx context.Context) ([]apitype.Printer, error) {
	ps, err := p.Spool.Printers(ctx)
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

// CancelPrintJob cancels a job not yet printed.
func (p *Printers) CancelPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error) {
	j, err := p.Spool.Cancel(ctx, id)
	return job(j), spoolErr(err)
}

// MovePrintJob sends a job to another printer.
func (p *Printers) MovePrintJob(ctx context.Context, id int64, printer string) (apitype.PrintJob, error) {
	j, err := p.Spool.Move(ctx, id, printer)
	return job(j), spoolErr(err)
}

// RetryPrintJob tries a waiting job again now.
func (p *Printers) RetryPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error) {
	j, err := p.Spool.Retry(ctx, id)
	return job(j), spoolErr(err)
}

// AfterCheckin prints nothing in the fixture.
func (p *Printers) AfterCheckin(context.Context, *domain.CheckinResult) {}

// AfterPayment prints nothing in the fixture.
func (p *Printers) AfterPayment(context.Context, string, domain.PaymentRequest, *domain.Account) {}
