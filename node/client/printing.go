package client

import (
	"context"
	"strconv"

	"stacks/node/apitype"
)

// PrintReceipt queues a receipt for a patron (apitype.ReceiptRequest:
// today's loans by default) on the branch's printer.
func (c *Client) PrintReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (*apitype.PrintJob, error) {
	var out apitype.PrintJob
	return &out, c.do(ctx, "POST", pathOf("patrons", patronID, "receipt"), nil, req, &out)
}

// PrintJobs lists the branch's print jobs, newest first.
func (c *Client) PrintJobs(ctx context.Context) ([]apitype.PrintJob, error) {
	var out []apitype.PrintJob
	return out, c.do(ctx, "GET", pathOf("printing", "jobs"), nil, nil, &out)
}

// Printers lists the branch's printers with their last status.
func (c *Client) Printers(ctx context.Context) ([]apitype.Printer, error) {
	var out []apitype.Printer
	return out, c.do(ctx, "GET", pathOf("printing", "printers"), nil, nil, &out)
}

// CancelPrintJob cancels a job not yet printed.
func (c *Client) CancelPrintJob(ctx context.Context, id int64) (*apitype.PrintJob, error) {
	var out apitype.PrintJob
	return &out, c.do(ctx, "POST", pathOf("printing", "jobs", strconv.FormatInt(id, 10), "cancel"), nil, nil, &out)
}

// RetryPrintJob tries a waiting job again now.
func (c *Client) RetryPrintJob(ctx context.Context, id int64) (*apitype.PrintJob, error) {
	var out apitype.PrintJob
	return &out, c.do(ctx, "POST", pathOf("printing", "jobs", strconv.FormatInt(id, 10), "retry"), nil, nil, &out)
}

// MovePrintJob sends a job to another printer.
func (c *Client) MovePrintJob(ctx context.Context, id int64, printer string) (*apitype.PrintJob, error) {
	var out apitype.PrintJob
	return &out, c.do(ctx, "POST", pathOf("printing", "jobs", strconv.FormatInt(id, 10), "move"), nil, apitype.PrintMove{Printer: printer}, &out)
}
