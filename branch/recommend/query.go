package recommend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/replicate"
)

// DefaultLimit is how many titles an answer lists unless asked otherwise;
// MaxLimit bounds what may be asked.
const (
	DefaultLimit = 10
	MaxLimit     = 50
)

// ErrNotOptedIn refuses personal suggestions to a patron who has not
// turned them on.
var ErrNotOptedIn = domain.Fail(domain.CodeSuggestionsOff, "Personal suggestions are off: turn on \"suggestions for me\" in your preferences.")

// Service answers recommendations from the model over a branch service.
type Service struct {
	svc *branch.Service
}

// New returns the recommendations of svc's node (which runs Capability()).
func New(svc *branch.Service) *Service { return &Service{svc: svc} }

func clamp(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// AlsoBorrowed is "patrons who borrowed this also borrowed": the titles
// borrowed by at least MinSupport of the patrons who borrowed biblioID,
// most shared first.
func (s *Service) AlsoBorrowed(ctx context.Context, biblioID string, n int) (*domain.Recommendations, error) {
	if _, err := s.svc.Biblio(ctx, biblioID); err != nil {
		return nil, err
	}
	out := &domain.Recommendations{BiblioID: biblioID, Titles: []*domain.Recommendation{}}
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT p.b, p.patrons, b.title, b.authors FROM recommend_pairs AS p
		JOIN biblios AS b ON b.biblio_id=p.b AND b.title<>'' WHERE p.a=? AND p.patrons>=? ORDER BY p.patrons DESC, p.b LIMIT ?`,
		biblioID, MinSupport, clamp(n))
	if err != nil {
		return nil, fmt.Errorf("recommend: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &domain.Recommendation{Basis: domain.BasisAlsoBorrowed}
		var authors string
		if err := rows.Scan(&r.BiblioID, &r.Patrons, &r.Title, &authors); err != nil {
			return nil, err
		}
		r.Authors = decodeList(authors)
		out.Titles = append(out.Titles, r)
	}
	return out, rows.Err()
}

// ForPatron is the personal suggestions of a patron who opted in
// (patronprefs "suggestions for me"), refused with ErrNotOptedIn otherwise.
func (s *Service) ForPatron(ctx context.Context, patronID string, n int) (*domain.Recommendations, error) {
	if _, err := s.svc.Patron(ctx, patronID); err != nil {
		return nil, err
	}
	ts, err := Suggest(ctx, s.svc.Read(), patronID, n)
	if err != nil {
		return nil, err
	}
	return &domain.Recommendations{Titles: ts}, nil
}

// Suggest is ForPatron read through q (a transaction, as the notices
// engine's): the titles borrowed together with the patron's own (their
// loans still theirs: current, and kept history), scored by the patrons
// who borrowed each with any of them, at least MinSupport a pair, none
// they borrowed; then, to fill n, the most borrowed titles they did not.
func Suggest(ctx context.Context, q replicate.Querier, patronID string, n int) ([]*domain.Recommendation, error) {
	on, err := patronprefs.SuggestionsOn(ctx, q, patronID)
	if err != nil {
		return nil, fmt.Errorf("recommend: %w", err)
	}
	if !on {
		return nil, ErrNotOptedIn
	}
	n = clamp(n)
	const mine = `SELECT DISTINCT i.biblio_id FROM loans AS l JOIN items AS i ON i.item_id=l.item_id WHERE l.patron_id=?1 AND l.issued=1`
	out := []*domain.Recommendation{}
	taken := map[string]bool{}
	read := func(basis, query string, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("recommend: %w", err)
		}
		defer rows.Close()
		for rows.Next() && len(out) < n {
			r := &domain.Recommendation{Basis: basis}
			var authors string
			if err := rows.Scan(&r.BiblioID, &r.Patrons, &r.Title, &authors); err != nil {
				return err
			}
			if taken[r.BiblioID] {
				continue
			}
			taken[r.BiblioID] = true
			r.Authors = decodeList(authors)
			out = append(out, r)
		}
		return rows.Err()
	}
	if err := read(domain.BasisAlsoBorrowed, `SELECT p.b, sum(p.patrons) AS score, b.title, b.authors FROM recommend_pairs AS p
		JOIN biblios AS b ON b.biblio_id=p.b AND b.title<>''
		WHERE p.a IN (`+mine+`) AND p.patrons>=?2 AND p.b NOT IN (`+mine+`)
		GROUP BY p.b ORDER BY score DESC, p.b LIMIT ?3`, patronID, MinSupport, n); err != nil {
		return nil, err
	}
	if len(out) < n {
		if err := read(domain.BasisPopular, `SELECT t.biblio_id, t.patrons, b.title, b.authors FROM recommend_titles AS t
			JOIN biblios AS b ON b.biblio_id=t.biblio_id AND b.title<>''
			WHERE t.patrons>=?2 AND t.biblio_id NOT IN (`+mine+`) ORDER BY t.patrons DESC, t.biblio_id LIMIT ?3`,
			patronID, MinSupport, 2*n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Popular is the most borrowed titles (by distinct patrons, at least
// MinSupport), the fallback when nothing is borrowed with anything.
func (s *Service) Popular(ctx context.Context, n int) ([]*domain.Recommendation, error) {
	rows, err := s.svc.Read().QueryContext(ctx, `SELECT t.biblio_id, t.patrons, b.title, b.authors FROM recommend_titles AS t
		JOIN biblios AS b ON b.biblio_id=t.biblio_id AND b.title<>'' WHERE t.patrons>=? ORDER BY t.patrons DESC, t.biblio_id LIMIT ?`,
		MinSupport, clamp(n))
	if err != nil {
		return nil, fmt.Errorf("recommend: %w", err)
	}
	defer rows.Close()
	out := []*domain.Recommendation{}
	for rows.Next() {
		r := &domain.Recommendation{Basis: domain.BasisPopular}
		var authors string
		if err := rows.Scan(&r.BiblioID, &r.Patrons, &r.Title, &authors); err != nil {
			return nil, err
		}
		r.Authors = decodeList(authors)
		out = append(out, r)
	}
	return out, rows.Err()
}

func decodeList(s string) []string {
	var xs []string
	json.Unmarshal([]byte(s), &xs)
	return slices.DeleteFunc(append([]string{}, xs...), func(x string) bool { return strings.TrimSpace(x) == "" })
}

// ReadingList is the monthly reading list's source of suggestions
// (notices.Suggester): the patron's own suggestions, none for a patron who
// has not turned them on.
type ReadingList struct{}

// Suggest is Suggest, with nothing (and no error) for a patron who has
// not opted in.
func (ReadingList) Suggest(ctx context.Context, q replicate.Querier, patronID string, n int) ([]*domain.Recommendation, error) {
	rs, err := Suggest(ctx, q, patronID, n)
	if errors.Is(err, ErrNotOptedIn) {
		return nil, nil
	}
	return rs, err
}
