package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Printing is the branch's receipt printing (node/printing.go): receipts
// and slips into the durable spool, and the spool's jobs for the desk.
// Every call is local and quick: none waits for a printer.
type Printing interface {
	PatronReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (apitype.PrintJob, error)
	PrintJobs(ctx context.Context) ([]apitype.PrintJob, error)
	Printers(ctx context.Context) ([]apitype.Printer, error)
	CancelPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error)
	MovePrintJob(ctx context.Context, id int64, printer string) (apitype.PrintJob, error)
	RetryPrintJob(ctx context.Context, id int64) (apitype.PrintJob, error)
	// AfterCheckin prints the hold or transit slip of a checkin, if any.
	AfterCheckin(ctx context.Context, res *domain.CheckinResult)
	// AfterPayment prints a payment receipt.
	AfterPayment(ctx context.Context, patronID string, req domain.PaymentRequest, acct *domain.Account)
}

func (a *API) printingRoutes() {
	a.handle("POST /api/v1/patrons/{id}/receipt", a.patronReceipt)
	a.handle("GET /api/v1/printing/jobs", a.printJobs)
	a.handle("GET /api/v1/printing/printers", a.printers)
	a.handle("POST /api/v1/printing/jobs/{id}/cancel", a.cancelPrintJob)
	a.handle("POST /api/v1/printing/jobs/{id}/move", a.movePrintJob)
	a.handle("POST /api/v1/printing/jobs/{id}/retry", a.retryPrintJob)
}

func (a *API) printingOn() error {
	if a.printing == nil {
		return &domain.Error{Code: domain.CodeNotFound, Message: "This appliance has no receipt printer (start it with --printer)."}
	}
	return nil
}

func (a *API) patronReceipt(w http.ResponseWriter, r *http.Request) error {
	if err := a.printingOn(); err != nil {
		return err
	}
	var req apitype.ReceiptRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	noteSubject(r.Context(), r.PathValue("id"), "")
	j, err := a.printing.PatronReceipt(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, j)
}

func (a *API) printJobs(w http.ResponseWriter, r *http.Request) error {
	if err := a.printingOn(); err != nil {
		return err
	}
	js, err := a.printing.PrintJobs(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, js)
}

func (a *API) printers(w http.ResponseWriter, r *http.Request) error {
	if err := a.printingOn(); err != nil {
		return err
	}
	ps, err := a.printing.Printers(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}

func jobID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, badRequest("A print job's id is a number, not %q.", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) cancelPrintJob(w http.ResponseWriter, r *http.Request) error {
	return a.onJob(w, r, func(id int64) (apitype.PrintJob, error) { return a.printing.CancelPrintJob(r.Context(), id) })
}

func (a *API) retryPrintJob(w http.ResponseWriter, r *http.Request) error {
	return a.onJob(w, r, func(id int64) (apitype.PrintJob, error) { return a.printing.RetryPrintJob(r.Context(), id) })
}

func (a *API) movePrintJob(w http.ResponseWriter, r *http.Request) error {
	var body apitype.PrintMove
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	if body.Printer == "" {
		return badRequest("Name the printer to send the job to.")
	}
	return a.onJob(w, r, func(id int64) (apitype.PrintJob, error) {
		return a.printing.MovePrintJob(r.Context(), id, body.Printer)
	})
}

func (a *API) onJob(w http.ResponseWriter, r *http.Request, f func(int64) (apitype.PrintJob, error)) error {
	if err := a.printingOn(); err != nil {
		return err
	}
	id, err := jobID(r)
	if err != nil {
		return err
	}
	j, err := f(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}
