package branch

import (
	"context"
	"encoding/json"
	"stacks/branch/domain"
)

// PlaceHold adds a hold to a title's queue.
func (s *Service) PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error) {
	var id string
	err := s.update(ctx, func(t *txn) error {
		p, err := findPatron(ctx, t, req.PatronID, req.Cardnumber)
		if err != nil {
			return err
		}
		biblioID := req.BiblioID
		var item *domain.Item
		if req.ItemID != "" {
			if item, err = getItem(ctx, t, req.ItemID); err != nil {
				return err
			}
			if biblioID != "" && biblioID != item.BiblioID {
				return domain.Invalid("Item %s is not a copy of title %s.", item.Barcode, biblioID)
			}
			biblioID = item.BiblioID
		}
		b, err := getBiblio(ctx, t, biblioID)
		if err != nil {
			return err
		}
		if req.NotNeededAfter != "" {
			if _, err := domain.ParseDate(req.NotNeededAfter); err != nil {
				return err
			}
			if req.NotNeededAfter < t.today() {
				return domain.Invalid("The date after which the hold is not needed (%s) has already passed.", req.NotNeededAfter)
			}
		}
		pickup := req.PickupBranch
		if pickup == "" {
			pickup = p.HomeBranch
		}
		if err := requireLibrary(ctx, t, pickup); err != nil {
			return err
		}
		mine, err := queryHolds(ctx, t, "h.patron_id=? AND h.status_rank<3", p.PatronID)
		if err != nil {
			return err
		}
		for _, h := range mine {
			if h.BiblioID == biblioID {
				return domain.Fail(domain.CodeDuplicateHold, "This patron already has a hold on %q.", b.Title)
			}
		}
		refusals, err := t.patronBlocks(ctx, p)
		if err != nil {
			return err
		}
		if cat, err := getCategory(ctx, t, p.Category); err == nil && cat.MaxHolds > 0 && len(mine) >= cat.MaxHolds {
			refusals = append(refusals, domain.Refuse(domain.CodeTooManyHolds, "The limit of %d holds has been reached.", cat.MaxHolds))
		}
		items := []*domain.Item{item}
		if item == nil {
			if items, err = listItems(ctx, t, ItemFilter{BiblioID: biblioID, Limit: 1000}); err != nil {
				return err
			}
		}
		allowed := len(items) == 0
		for _, it := range items {
			if it.Status == domain.ItemWithdrawn {
				continue
			}
			if l, err := openLoan(ctx, t, it.ItemID); err != nil {
				return err
			} else if l != nil && l.PatronID == p.PatronID {
				refusals = append(refusals, domain.Refuse(domain.CodeAlreadyOnLoan, "This patron already has %q on loan.", b.Title))
			}
			rule, err := ruleFor(ctx, t, it.HomeBranch, p.Category, it.ItemType)
			if err != nil {
				return err
			}
			allowed = allowed || rule.HoldsAllowed
		}
		if !allowed {
			refusals = append(refusals, domain.Refuse(domain.CodeHoldNotAllowed, "Holds are not allowed on %q for this patron.", b.Title))
		}
		ov, err := t.resolveRefusals(ctx, "hold", refusals, req.Override)
		if err != nil {
			return err
		}
		id = t.s.newID(t.now)
		itemID := ""
		if item != nil {
			itemID = item.ItemID
		}
		_, err = t.emit(ctx, KindHoldPlace, holdPlaceOp{HoldID: id, PatronID: p.PatronID, BiblioID: biblioID, ItemID: itemID,
			PickupBranch: pickup, PlacedAt: t.stamp(), Override: ov, NotNeededAfter: req.NotNeededAfter})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Hold(ctx, id)
}

// Hold returns one hold with its queue position.
func (s *Service) Hold(ctx context.Context, id string) (*domain.Hold, error) {
	q := s.db.Read()
	h, err := getHold(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if h.Active() {
		queue, err := titleQueue(ctx, q, h.BiblioID)
		if err != nil {
			return nil, err
		}
		for _, qh := range queue {
			if qh.HoldID == id {
				h.Priority = qh.Priority
			}
		}
	}
	return h, nil
}

// CancelHold cancels an active hold. A trapped item is released: the next
// checkin routes it to the next hold.
func (s *Service) CancelHold(ctx context.Context, id, reason string) (*domain.Hold, error) {
	if err := domain.CheckText("Reason", reason, 500); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(t *txn) error {
		h, err := getHold(ctx, t, id)
		if err != nil {
			return err
		}
		if !h.Active() {
			return domain.Fail(domain.CodeHoldNotActive, "This hold is already %s.", h.Status)
		}
		_, err = t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: id, Status: domain.HoldCancelled, Reason: reason})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Hold(ctx, id)
}

// SuspendHold suspends a waiting hold until the date until (YYYY-MM-DD,
// after today): trapping skips it until then, and it keeps its place in
// the queue. An empty until resumes the hold at once. A hold already
// trapped for an item (in transit or ready) cannot be suspended.
func (s *Service) SuspendHold(ctx context.Context, id, until string) (*domain.Hold, error) {
	if until != "" {
		if _, err := domain.ParseDate(until); err != nil {
			return nil, err
		}
	}
	err := s.update(ctx, func(t *txn) error {
		h, err := getHold(ctx, t, id)
		if err != nil {
			return err
		}
		if !h.Active() {
			return domain.Fail(domain.CodeHoldNotActive, "This hold is already %s.", h.Status)
		}
		if until != "" {
			if h.Status != domain.HoldWaiting {
				return domain.Fail(domain.CodeHoldNotActive, "This hold is already %s: it can no longer be suspended.", h.Status)
			}
			if until <= t.today() {
				return domain.Invalid("A hold is suspended until a date after today (%s).", t.today())
			}
		} else if h.SuspendedUntil == "" {
			return nil // not suspended: nothing to resume
		}
		_, err = t.emit(ctx, KindHoldSuspend, holdSuspendOp{HoldID: id, Until: until})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Hold(ctx, id)
}

// ChangePickup changes where an active hold is to be collected. A hold
// already on its way or on the shelf keeps its branch: the item is there.
func (s *Service) ChangePickup(ctx context.Context, id, pickup string) (*domain.Hold, error) {
	err := s.update(ctx, func(t *txn) error {
		h, err := getHold(ctx, t, id)
		if err != nil {
			return err
		}
		if !h.Active() {
			return domain.Fail(domain.CodeHoldNotActive, "This hold is already %s.", h.Status)
		}
		if h.Status != domain.HoldWaiting {
			return domain.Fail(domain.CodeHoldNotActive, "This hold is already %s: its pickup branch can no longer change.", h.Status)
		}
		if err := requireLibrary(ctx, t, pickup); err != nil {
			return err
		}
		if h.PickupBranch == pickup {
			return nil
		}
		_, err = t.emit(ctx, KindHoldPickup, holdPickupOp{HoldID: id, PickupBranch: pickup})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Hold(ctx, id)
}

// activeWaiting is the condition on holds (aliased h) that trapping may
// fill on day today: not suspended, and still wanted.
const activeWaiting = `(h.suspended_until='' OR h.suspended_until<=?) AND (h.not_needed_after='' OR h.not_needed_after>=?)`

// fillable is the condition on holds (aliased h) an item of a title may
// fill: waiting, and for that very copy or for any copy of the title (args:
// the item, its title). The unary + keeps SQLite from looking the
// title-level holds up through holds_item by their empty item_id, which
// reads every title-level hold waiting anywhere; it looks them up by title
// instead (holds_biblio): TestFillableHoldsUseTheTitleIndex.
const fillable = `h.status_rank=0 AND (h.item_id=? OR (+h.item_id='' AND h.biblio_id=?))`

// ExpireHolds expires the holds whose shelf time at this branch has run out
// and returns them; their items are to be cleared from the hold shelf.
// Waiting holds to be picked up here whose not-needed-after date has
// passed expire too, and are not returned.
func (s *Service) ExpireHolds(ctx context.Context) ([]*domain.Hold, error) {
	var expired []*domain.Hold
	err := s.update(ctx, func(t *txn) error {
		hs, err := queryHolds(ctx, t, "h.status='ready' AND h.pickup_branch=? AND h.shelf_expires<>'' AND h.shelf_expires<?",
			t.s.cfg.Branch, t.today())
		if err != nil {
			return err
		}
		for _, h := range hs {
			if _, err := t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: h.HoldID, Status: domain.HoldExpired, Reason: "not collected"}); err != nil {
				return err
			}
			h.Status = domain.HoldExpired
		}
		expired = hs
		// Waiting holds past the date the patron gave are no longer
		// wanted: they expire too (each at its pickup branch), but hold
		// no item, so they are not among the holds returned.
		unwanted, err := queryHolds(ctx, t, "h.status='waiting' AND h.pickup_branch=? AND h.not_needed_after<>'' AND h.not_needed_after<?",
			t.s.cfg.Branch, t.today())
		if err != nil {
			return err
		}
		for _, h := range unwanted {
			if _, err := t.emit(ctx, KindHoldStatus, holdStatusOp{HoldID: h.HoldID, Status: domain.HoldExpired, Reason: "not needed after " + h.NotNeededAfter}); err != nil {
				return err
			}
		}
		return nil
	})
	return expired, err
}

// PatronHolds lists a patron's active holds with queue positions.
func (s *Service) PatronHolds(ctx context.Context, patronID string) ([]*domain.Hold, error) {
	q := s.db.Read()
	if _, err := getPatron(ctx, q, patronID); err != nil {
		return nil, err
	}
	hs, err := queryHolds(ctx, q, "h.patron_id=? AND h.status_rank<3", patronID)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		queue, err := titleQueue(ctx, q, h.BiblioID)
		if err != nil {
			return nil, err
		}
		for _, qh := range queue {
			if qh.HoldID == h.HoldID {
				h.Priority = qh.Priority
			}
		}
	}
	if hs == nil {
		hs = []*domain.Hold{}
	}
	return hs, nil
}

// TitleQueue is a title's active holds in queue order.
func (s *Service) TitleQueue(ctx context.Context, biblioID string) ([]*domain.Hold, error) {
	hs, err := titleQueue(ctx, s.db.Read(), biblioID)
	if hs == nil {
		hs = []*domain.Hold{}
	}
	return hs, err
}

// HoldShelf lists holds ready for pickup here, expired or cancelled holds
// whose items still sit on the shelf, items to pull for waiting holds and
// the copies in transit to here (the first 1,000).
func (s *Service) HoldShelf(ctx context.Context) (*domain.HoldShelf, error) {
	q := s.db.Read()
	here := s.cfg.Branch
	out := &domain.HoldShelf{Ready: []*domain.Hold{}, ToClear: []*domain.Hold{}, ToPull: []domain.PullItem{}}
	var err error
	if out.Ready, err = queryHolds(ctx, q, "h.status='ready' AND h.pickup_branch=?", here); err != nil {
		return nil, err
	}
	if out.ToClear, err = queryHolds(ctx, q, `h.status IN ('expired','cancelled') AND h.pickup_branch=? AND h.trapped_item<>''
		AND EXISTS (SELECT 1 FROM items i WHERE i.item_id=h.trapped_item AND i.status='available' AND i.location=?
			AND i.seen_at < h.closed_at)`, here, here); err != nil {
		return nil, err
	}
	today := s.now().Format(domain.DateLayout)
	waiting, err := queryHolds(ctx, q, "h.status='waiting' AND "+activeWaiting, today, today)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, h := range waiting {
		cond := "i.status='available' AND i.location=? AND i.biblio_id=?"
		args := []any{here, h.BiblioID}
		if h.ItemID != "" {
			cond += " AND i.item_id=?"
			args = append(args, h.ItemID)
		}
		rows, err := q.QueryContext(ctx, `SELECT `+itemCols+` FROM items i LEFT JOIN biblios b USING (biblio_id) WHERE `+cond+` ORDER BY i.barcode`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !taken[it.ItemID] {
				taken[it.ItemID] = true
				out.ToPull = append(out.ToPull, domain.PullItem{Hold: h, Item: it})
				break
			}
		}
		rows.Close()
	}
	if out.Incoming, err = listItems(ctx, q, ItemFilter{TransitTo: here, Limit: 1000}); err != nil {
		return nil, err
	}
	if out.Incoming == nil {
		out.Incoming = []*domain.Item{}
	}
	if out.Ready == nil {
		out.Ready = []*domain.Hold{}
	}
	if out.ToClear == nil {
		out.ToClear = []*domain.Hold{}
	}
	if err := setShelfNames(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// setShelfNames gives every hold of the shelf its patron's shelf name, in
// one query: the shelf carries what the desk shows, so the desk reads no
// patron record (each such read is audited) to show a name.
func setShelfNames(ctx context.Context, q querier, sh *domain.HoldShelf) error {
	holds := append(append([]*domain.Hold{}, sh.Ready...), sh.ToClear...)
	for _, p := range sh.ToPull {
		holds = append(holds, p.Hold)
	}
	if len(holds) == 0 {
		return nil
	}
	ids := make([]string, 0, len(holds))
	for _, h := range holds {
		ids = append(ids, h.PatronID)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT patron_id, firstname, surname FROM patrons
		WHERE patron_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var id, first, sur string
		if err := rows.Scan(&id, &first, &sur); err != nil {
			return err
		}
		names[id] = domain.ShelfName(first, sur)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range holds {
		h.ShelfName = names[h.PatronID]
	}
	return nil
}
