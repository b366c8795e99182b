package httpapi

import (
	"net/http"

	"stacks/branch/domain"
)

// calendarDays is how far the calendar looks ahead by default.
const calendarDays = 30

// calendar is GET /calendar?library_id=&from=&to=, by default this branch
// from today for calendarDays days.
func (a *API) calendar(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lib, from, to := q.Get("library_id"), q.Get("from"), q.Get("to")
	if lib == "" {
		lib = a.svc.Branch()
	}
	if from == "" {
		from = a.clock.Now().In(a.loc).Format(dateLayout)
	}
	if to == "" {
		f, err := domain.ParseDate(from)
		if err != nil {
			return err
		}
		to = f.AddDate(0, 0, calendarDays).Format(dateLayout)
	}
	cal, err := a.svc.Calendar(r.Context(), lib, from, to)
	if err != nil {
		return err
	}
	cal.Hours = nonNil(cal.Hours)
	cal.Days = nonNil(cal.Days)
	return writeJSON(w, http.StatusOK, cal)
}

const dateLayout = "2006-01-02"

func (a *API) putHours(w http.ResponseWriter, r *http.Request) error {
	var h domain.OpeningHours
	if err := decodeBody(r, &h, false); err != nil {
		return err
	}
	if h.BranchID == "" {
		h.BranchID = a.svc.Branch()
	}
	if err := a.svc.SetOpeningHours(r.Context(), h); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) putClosed(w http.ResponseWriter, r *http.Request) error {
	var d domain.ClosedDay
	if err := decodeBody(r, &d, false); err != nil {
		return err
	}
	if d.BranchID == "" {
		d.BranchID = a.svc.Branch()
	}
	if err := a.svc.SetClosedDay(r.Context(), d); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
