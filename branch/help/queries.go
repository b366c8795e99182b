package help

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"stacks/branch/domain"
)

const requestCols = `request_id, branch_id, routed_branch, channel, location, patron_id, asked_by, message, status, created_at,
	owner_staff, owned_at, first_response_at, closed_at, closed_by`

// Request is one request with its conversation, and the login that asked
// it (a kiosk's, or the patron's actor ID) for the edge's checks.
func (s *Service) Request(ctx context.Context, id string) (*domain.HelpRequest, string, error) {
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT `+requestCols+` FROM help_requests WHERE request_id=? AND created_at<>''`, id)
	if err != nil {
		return nil, "", err
	}
	rs, askers, err := scanRequests(rows)
	if err != nil {
		return nil, "", err
	}
	if len(rs) == 0 {
		return nil, "", ErrNotFound
	}
	if err := s.messages(ctx, rs); err != nil {
		return nil, "", err
	}
	return &rs[0], askers[0], nil
}

// Filter chooses requests to list.
type Filter struct {
	// Status is one status, "active" (anything not closed), or "" for all.
	Status string
	// BranchID is one branch's queue, or "" for every branch's.
	BranchID string
	// PatronID is one patron's requests, or "".
	PatronID string
	// Limit caps the list (0: 200).
	Limit int
}

// Statuses a filter may name.
var Statuses = []string{domain.HelpOpen, domain.HelpClaimed, domain.HelpAnswered, domain.HelpClosed, "active"}

// List lists requests, oldest first, with their conversations.
func (s *Service) List(ctx context.Context, f Filter) ([]domain.HelpRequest, error) {
	var where []string
	args := []any{}
	switch f.Status {
	case "":
	case "active":
		where = append(where, "status <> 'closed'")
	default:
		if !slices.Contains(Statuses, f.Status) {
			return nil, domain.Invalid("status is one of %s.", strings.Join(Statuses, ", "))
		}
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.BranchID != "" {
		where = append(where, "branch_id = ?")
		args = append(args, f.BranchID)
	}
	if f.PatronID != "" {
		where = append(where, "patron_id = ?")
		args = append(args, f.PatronID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q := `SELECT ` + requestCols + ` FROM help_requests WHERE created_at <> ''`
	for _, w := range where {
		q += " AND " + w
	}
	q += ` ORDER BY created_at, open_stamp LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.svc.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	rs, _, err := scanRequests(rows)
	if err != nil {
		return nil, err
	}
	return rs, s.messages(ctx, rs)
}

func scanRequests(rows *sql.Rows) ([]domain.HelpRequest, []string, error) {
	defer rows.Close()
	out := []domain.HelpRequest{}
	var askers []string
	for rows.Next() {
		var r domain.HelpRequest
		var asker string
		if err := rows.Scan(&r.RequestID, &r.BranchID, &r.RoutedBranch, &r.Channel, &r.Location, &r.PatronID, &asker, &r.Message,
			&r.Status, &r.CreatedAt, &r.ClaimedBy, &r.ClaimedAt, &r.FirstResponseAt, &r.ClosedAt, &r.ClosedBy); err != nil {
			return nil, nil, err
		}
		r.Messages = []domain.HelpMessage{}
		out = append(out, r)
		askers = append(askers, asker)
	}
	return out, askers, rows.Err()
}

// messages fills in the conversations, in time order, and who should
// write next.
func (s *Service) messages(ctx context.Context, rs []domain.HelpRequest) error {
	for i := range rs {
		r := &rs[i]
		rows, err := s.svc.Read().QueryContext(ctx, `SELECT message_id, author_kind, author, body, at FROM help_messages
			WHERE request_id=? ORDER BY at, stamp`, r.RequestID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m domain.HelpMessage
			if err := rows.Scan(&m.MessageID, &m.From, &m.Author, &m.Text, &m.At); err != nil {
				rows.Close()
				return err
			}
			r.Messages = append(r.Messages, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		switch {
		case r.Status == domain.HelpClosed:
		case len(r.Messages) > 0 && r.Messages[len(r.Messages)-1].From == domain.HelpFromStaff:
			r.Awaiting = domain.HelpFromPatron
		default:
			r.Awaiting = domain.HelpFromStaff
		}
	}
	return nil
}

// Stats are the handling times per branch (whose queue a request is in)
// and channel, of requests asked in [from, to) (stamps as stored, UTC;
// "" for no bound).
func (s *Service) Stats(ctx context.Context, from, to string) ([]domain.HelpStat, error) {
	q := `SELECT branch_id, channel, first_response_seconds, close_seconds FROM help_requests WHERE created_at <> ''`
	var args []any
	if from != "" {
		q += ` AND created_at >= ?`
		args = append(args, from)
	}
	if to != "" {
		q += ` AND created_at < ?`
		args = append(args, to)
	}
	rows, err := s.svc.Read().QueryContext(ctx, q+` ORDER BY branch_id, channel`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type acc struct {
		stat          domain.HelpStat
		first, closed []float64
	}
	var order []*acc
	by := map[[2]string]*acc{}
	for rows.Next() {
		var b, c string
		var fr, cl float64
		if err := rows.Scan(&b, &c, &fr, &cl); err != nil {
			return nil, err
		}
		a := by[[2]string{b, c}]
		if a == nil {
			a = &acc{stat: domain.HelpStat{BranchID: b, Channel: c}}
			by[[2]string{b, c}] = a
			order = append(order, a)
		}
		a.stat.Requests++
		if fr >= 0 {
			a.stat.Answered++
			a.first = append(a.first, fr)
		}
		if cl >= 0 {
			a.stat.Closed++
			a.closed = append(a.closed, cl)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]domain.HelpStat, 0, len(order))
	for _, a := range order {
		a.stat.FirstResponseMeanSec, a.stat.FirstResponseMedianSec = meanMedian(a.first)
		a.stat.CloseMeanSec, a.stat.CloseMedianSec = meanMedian(a.closed)
		out = append(out, a.stat)
	}
	return out, nil
}

func meanMedian(xs []float64) (mean, median float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	slices.Sort(xs)
	var sum float64
	for _, x := range xs {
		sum += x
	}
	n := len(xs)
	if n%2 == 1 {
		median = xs[n/2]
	} else {
		median = (xs[n/2-1] + xs[n/2]) / 2
	}
	return sum / float64(n), median
}

// IsNotFound reports whether err says there is no such request.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// PatronRequests are the patron's own requests, oldest first.
func (s *Service) PatronRequests(ctx context.Context, patronID string) ([]domain.HelpRequest, error) {
	return s.List(ctx, Filter{PatronID: patronID})
}
