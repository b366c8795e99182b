package feedback

import (
	"context"
	"math"
	"sort"

	"stacks/branch/domain"
)

// Tally adds one answer's scores to a result cell (-1: not given).
func Tally(r *domain.FeedbackResult, score, nps int) {
	r.Answers++
	if nps >= 0 {
		r.NPSAnswers++
		switch {
		case nps >= 9:
			r.Promoters++
		case nps >= 7:
			r.Passives++
		default:
			r.Detractors++
		}
	}
	if score >= 1 {
		r.ScoreAnswers++
		if score >= 4 {
			r.Satisfied++
		}
	}
}

func pct(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	v := math.Round(float64(num)*1000/float64(den)) / 10
	return &v
}

// Finish computes a cell's figures from its counts, to one decimal:
// NPS = 100 * (promoters - detractors) / answers with an NPS (from -100
// to 100), CSAT = 100 * answers scoring 4 or 5 / answers with a score,
// response rate = 100 * answers / invitations.
func Finish(r *domain.FeedbackResult) {
	if r.NPSAnswers > 0 {
		v := math.Round(float64(r.Promoters-r.Detractors)*1000/float64(r.NPSAnswers)) / 10
		r.NPS = &v
	} else {
		r.NPS = nil
	}
	r.CSAT = pct(r.Satisfied, r.ScoreAnswers)
	r.ResponseRate = pct(r.Answers, r.Invitations)
}

// ResultsFilter chooses the answers and invitations counted: a branch
// ("" for all) and days from..to (inclusive, YYYY-MM-DD; "" for open).
type ResultsFilter struct {
	LibraryID string
	From, To  string
}

// Results are the figures per branch, channel and ISO week, newest week
// first.
func (s *Service) Results(ctx context.Context, f ResultsFilter) ([]domain.FeedbackResult, error) {
	to := f.To
	if to == "" {
		to = "9999-12-31"
	}
	cells := map[[3]string]*domain.FeedbackResult{}
	cell := func(lib, ch, week string) *domain.FeedbackResult {
		k := [3]string{lib, ch, week}
		if cells[k] == nil {
			cells[k] = &domain.FeedbackResult{LibraryID: lib, Channel: domain.Channel(ch), Week: week}
		}
		return cells[k]
	}
	db := s.svc.Read()
	rows, err := db.QueryContext(ctx, `SELECT library_id, channel, week, score, nps FROM feedback_answers
		WHERE (?1='' OR library_id=?1) AND day>=?2 AND day<=?3`, f.LibraryID, f.From, to)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var lib, ch, week string
		var score, nps int
		if err := rows.Scan(&lib, &ch, &week, &score, &nps); err != nil {
			rows.Close()
			return nil, err
		}
		Tally(cell(lib, ch, week), score, nps)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// invited_at is an instant (UTC); days compare on its date part.
	rows, err = db.QueryContext(ctx, `SELECT library_id, channel, week, count(*) FROM feedback_invitations
		WHERE patron_id<>'' AND (?1='' OR library_id=?1) AND substr(invited_at,1,10)>=?2 AND substr(invited_at,1,10)<=?3
		GROUP BY library_id, channel, week`, f.LibraryID, f.From, to)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var lib, ch, week string
		var n int
		if err := rows.Scan(&lib, &ch, &week, &n); err != nil {
			rows.Close()
			return nil, err
		}
		cell(lib, ch, week).Invitations += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]domain.FeedbackResult, 0, len(cells))
	for _, c := range cells {
		Finish(c)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Week != b.Week {
			return a.Week > b.Week
		}
		if a.LibraryID != b.LibraryID {
			return a.LibraryID < b.LibraryID
		}
		return a.Channel < b.Channel
	})
	return out, nil
}
