package web

import (
	"net/http"
	"slices"
	"strings"

	"stacks/branch/domain"
)

// copyRow is one copy of a title as the title page lists it.
type copyRow struct {
	Library    string
	CallNumber string
	Shelf      string
	Status     string
	Available  bool
}

// branchRow is a branch's copies of a title.
type branchRow struct {
	Name             string
	Available, Total int
	Copies           []copyRow
}

type titleData struct {
	Biblio    *domain.Biblio
	Avl       *domain.Availability
	Branches  []branchRow
	Editions  []*domain.Biblio
	Libraries []domain.Library
	// MyHold is the patron's active hold on the title, if any.
	MyHold *domain.Hold
	// Blocks are why the patron may not place a hold now, if known
	// before trying.
	Blocks []string
	// Pickup is the branch the form proposes.
	Pickup string
	Today  string
	// Digital is the patron's e-loan or e-hold of a digital title, when
	// digital lending is served (Config.Digital); nil otherwise.
	Digital *digitalTitle
	// Also is "patrons who borrowed this also borrowed", if any.
	Also *domain.Recommendations
}

func (s *Server) title(w http.ResponseWriter, r *http.Request, rq *request) {
	d, err := s.titleData(rq, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	if from := r.URL.Query().Get("from"); s.cfg.Searches != nil && validNonce(from) {
		s.cfg.Searches.Success(from)
	}
	s.render(w, r, rq, http.StatusOK, "title", d.Biblio.Title, d, nil, nil)
}

func (s *Server) titleData(rq *request, id string) (*titleData, error) {
	b, err := s.lib.Biblio(rq.ctx, id)
	if err != nil {
		return nil, err
	}
	avl, err := s.lib.Availability(rq.ctx, id)
	if err != nil {
		return nil, err
	}
	libs, err := s.lib.Libraries(rq.ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, l := range libs {
		names[l.BranchID] = l.Name
	}
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	d := &titleData{Biblio: b, Avl: avl, Libraries: libs, Today: s.lib.Now().Format(domain.DateLayout)}
	byBranch := map[string]*branchRow{}
	var order []string
	for _, it := range avl.Items {
		if it.Status == domain.ItemWithdrawn {
			continue
		}
		br := byBranch[it.Location]
		if br == nil {
			br = &branchRow{Name: name(it.Location)}
			byBranch[it.Location] = br
			order = append(order, it.Location)
		}
		br.Total++
		ok := it.Status == domain.ItemAvailable
		if ok {
			br.Available++
		}
		shelf := ""
		if it.HomeBranch != it.Location {
			shelf = name(it.HomeBranch)
		}
		br.Copies = append(br.Copies, copyRow{Library: name(it.Location), CallNumber: it.CallNumber, Shelf: shelf,
			Status: rq.p.T("status." + it.Status), Available: ok})
	}
	slices.SortFunc(order, func(a, b string) int { return strings.Compare(name(a), name(b)) })
	for _, id := range order {
		d.Branches = append(d.Branches, *byBranch[id])
	}
	// Other editions and formats: the index's work, or without an index
	// titles of the same name.
	if s.idx != nil {
		eds, err := s.idx.Editions(rq.ctx, b.BiblioID)
		if err != nil {
			return nil, err
		}
		for _, e := range eds {
			if e.BiblioID != b.BiblioID {
				d.Editions = append(d.Editions, e)
			}
		}
	} else if hits, err := s.srch.SearchBiblios(rq.ctx, b.Title, "", 50, 0); err == nil {
		for _, h := range hits {
			if h.BiblioID != b.BiblioID && strings.EqualFold(strings.TrimSpace(h.Title), strings.TrimSpace(b.Title)) {
				d.Editions = append(d.Editions, h)
			}
		}
	}
	if b.Digital() && s.cfg.Digital != nil {
		if d.Digital, err = s.digitalOf(rq, b.BiblioID); err != nil {
			return nil, err
		}
	}
	if rq.patron != nil {
		d.Pickup = rq.patron.HomeBranch
		hs, err := s.lib.PatronHolds(rq.ctx, rq.patron.PatronID)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			if h.BiblioID == b.BiblioID {
				d.MyHold = h
			}
		}
		st, err := s.lib.Status(rq.ctx, rq.patron.PatronID)
		if err != nil {
			return nil, err
		}
		if st.Patron.Blocked {
			d.Blocks = append(d.Blocks, rq.p.T("error.patron_blocked"))
		}
		if st.Expired {
			d.Blocks = append(d.Blocks, rq.p.T("error.card_expired"))
		}
		if st.MaxFineCents > 0 && st.BalanceCents > st.MaxFineCents {
			d.Blocks = append(d.Blocks, rq.p.T("error.fines_over_limit"))
		}
	}
	d.Also = s.alsoBorrowed(rq, id)
	return d, nil
}

// placeHold places a hold on a title for the logged-in patron.
func (s *Server) placeHold(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.needLogin(w, r, rq) {
		return
	}
	id := r.PathValue("id")
	pickup := r.PostForm.Get("pickup")
	nna := strings.TrimSpace(r.PostForm.Get("not_needed_after"))
	var problems, notices []string
	if nna != "" {
		if _, err := domain.ParseDate(nna); err != nil {
			problems = append(problems, rq.p.T("hold.bad_date"))
		} else if nna < s.lib.Now().Format(domain.DateLayout) {
			problems = append(problems, rq.p.T("hold.date_passed"))
		}
	}
	if len(problems) == 0 {
		h, err := s.lib.PlaceHold(rq.ctx, domain.HoldRequest{PatronID: rq.patron.PatronID, BiblioID: id, PickupBranch: pickup, NotNeededAfter: nna})
		if err != nil {
			var e *domain.Error
			if !asDomainError(err, &e) {
				s.failErr(w, r, rq, err)
				return
			}
			problems = append(problems, rq.p.Refusal(err)...)
		} else {
			notices = append(notices, rq.p.T("hold.placed", h.Priority))
		}
	}
	d, err := s.titleData(rq, id)
	if err != nil {
		s.failErr(w, r, rq, err)
		return
	}
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, rq, status, "title", d.Biblio.Title, d, notices, problems)
}
