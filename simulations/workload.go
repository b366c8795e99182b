package simulations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
)

// setup creates the branches and the central site. Central issues the
// library: registry, rules, calendars, a catalogue with copies at every
// branch; each branch registers its patrons; then every branch receives it
// all before the week begins.
func (s *sim) setup() error {
	for i := 0; i < s.cfg.Branches; i++ {
		n, err := s.newNode(i)
		if err != nil {
			return err
		}
		s.nodes = append(s.nodes, n)
	}
	c, err := s.newCentral()
	if err != nil {
		return err
	}
	s.central = c
	c.tick() // the first election
	hq := c.leader()
	if hq == nil {
		return errors.New("simulations: no central leader at setup")
	}
	ctx := domain.WithActor(s.ctx, domain.Actor{ID: "setup", Role: domain.RoleAdmin, Channel: domain.ChannelSync})
	svc := hq.svc
	for i := range s.nodes {
		if err := svc.SetLibrary(ctx, domain.Library{BranchID: s.branchID(i), Name: fmt.Sprintf("Branch %d", i), HoldShelfDays: 3}); err != nil {
			return err
		}
		if i == len(s.nodes)-1 && s.cfg.LateRegistration {
			s.lateBranch = i // a new branch: registered at central later in the day
		} else if err := s.registerNode(svc, ctx, i); err != nil {
			return err
		}
		for wd := 1; wd <= 6; wd++ {
			if err := svc.SetOpeningHours(ctx, domain.OpeningHours{BranchID: s.branchID(i), Weekday: wd, Opens: "09:00", Closes: "19:00"}); err != nil {
				return err
			}
		}
		if err := svc.SetOpeningHours(ctx, domain.OpeningHours{BranchID: s.branchID(i), Weekday: 0}); err != nil {
			return err
		}
	}
	for _, c := range []domain.Category{{Category: "ADULT", MaxFineCents: 1000, EnrolmentMonths: 24, MaxHolds: 5},
		{Category: "CHILD", MaxFineCents: 300, EnrolmentMonths: 12, MaxHolds: 3}} {
		if err := svc.SetCategory(ctx, c); err != nil {
			return err
		}
	}
	for _, t := range []domain.ItemType{{ItemType: "BOOK", ReplacementCents: 2000, ProcessingCents: 300}, {ItemType: "DVD", ReplacementCents: 2500}} {
		if err := svc.SetItemType(ctx, t); err != nil {
			return err
		}
	}
	for _, r := range []domain.Rule{
		{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 14, Renewals: 2, MaxLoans: 6, FineCents: 20, GraceDays: 1, MaxFineCents: 500, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "DVD", LoanDays: 3, Renewals: 1, MaxLoans: 3, FineCents: 100, MaxFineCents: 800, HoldsAllowed: true},
		{BranchID: "*", Category: "CHILD", ItemType: "*", LoanDays: 14, Renewals: 2, MaxLoans: 4, FineCents: 5, MaxFineCents: 100, HoldsAllowed: true},
	} {
		if err := svc.SetRule(ctx, r); err != nil {
			return err
		}
	}
	s.homeItems = make([][]int, len(s.nodes))
	s.holdsAt = make([][]string, len(s.nodes))
	var titles []domain.NewBiblio
	for t := 0; t < s.cfg.TitlesPerBranch*s.cfg.Branches; t++ {
		titles = append(titles, domain.NewBiblio{Title: fmt.Sprintf("Title %d", t), Authors: []string{fmt.Sprintf("Author %d", t%17)}})
	}
	ids, err := svc.AddBiblios(ctx, titles)
	if err != nil {
		return err
	}
	s.titles = ids
	var items []domain.NewItem
	for t, id := range ids {
		copies := 1 + s.r.IntN(2)
		if t < len(ids)/10 {
			copies = 1 // popular titles, wanted everywhere, few copies
		}
		for c := 0; c < copies; c++ {
			typ := "BOOK"
			if t%7 == 0 {
				typ = "DVD"
			}
			home := s.r.IntN(len(s.nodes))
			bc := fmt.Sprintf("I%05d-%d", t, c)
			items = append(items, domain.NewItem{Barcode: bc, BiblioID: id, ItemType: typ,
				HomeBranch: s.branchID(home), PriceCents: 1500})
			s.barcodes = append(s.barcodes, bc)
			s.homeItems[home] = append(s.homeItems[home], len(s.barcodes)-1)
		}
	}
	if _, err := svc.AddItems(ctx, items); err != nil {
		return err
	}
	// Every branch receives the library, registers its patrons, and
	// everyone receives those.
	for i := range s.nodes {
		if _, err := s.net.transfer(hq.ep, i); err != nil {
			return err
		}
	}
	for i, n := range s.nodes {
		bctx := domain.WithActor(s.ctx, domain.Actor{ID: "setup", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
		for p := 0; p < s.cfg.PatronsPerBranch; p++ {
			if err := s.register(n, bctx, i); err != nil {
				return err
			}
		}
		if _, err := s.net.transfer(i, hq.ep); err != nil {
			return err
		}
	}
	s.popular = s.cards[:min(3, len(s.cards))]
	for i := range s.nodes {
		if _, err := s.net.transfer(hq.ep, i); err != nil {
			return err
		}
	}
	for _, n := range s.nodes {
		n.noteAck()
	}
	return nil
}

func (s *sim) registerNode(svc *branch.Service, ctx context.Context, i int) error {
	n := s.nodes[i]
	return svc.RegisterNode(ctx, domain.RegistryNode{NodeID: n.id.String(), BranchID: n.branch, Role: domain.NodeRoleBranch, Name: n.branch})
}

// centralWork is what central IT does now and then in working hours:
// change a circulation rule, close a branch for a day, change opening
// hours. It runs at any central replica (a follower forwards to the
// leader), through the real service, as on a central node.
func (s *sim) centralWork() {
	h, wd := s.now.Hour(), s.now.Weekday()
	ctx := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	if s.lateBranch >= 0 && h >= 11 {
		// The new branch has been lending (its ops refused by central,
		// not in the registry); now central IT registers it.
		r := s.central.reps[s.r.IntN(len(s.central.reps))]
		if r.isUp {
			err := s.registerNode(r.svc, ctx, s.lateBranch)
			s.res.CentralCommands++
			switch {
			case err == nil:
				s.lateBranch = -1
			case errors.Is(err, errNoLeader), errors.Is(err, errNotCommitted), errors.Is(err, errReplicaDown):
				s.res.CentralUnavailable++
			default:
				s.fail("central %s: registering %s failed: %v", r.label, s.nodes[s.lateBranch].branch, err)
			}
		}
	}
	if wd == time.Sunday || h < 8 || h >= 18 || s.r.IntN(90) != 0 {
		return
	}
	r := s.central.reps[s.r.IntN(len(s.central.reps))]
	if !r.isUp {
		return
	}
	b := s.branchID(s.r.IntN(len(s.nodes)))
	var err error
	switch s.r.IntN(3) {
	case 0:
		days := []int{14, 21, 28}[s.r.IntN(3)]
		err = r.svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: days, Renewals: 2, MaxLoans: 6,
			FineCents: 20, GraceDays: 1, MaxFineCents: 500, HoldsAllowed: true})
	case 1:
		day := s.now.AddDate(0, 0, 1+s.r.IntN(20)).Format("2006-01-02")
		err = r.svc.SetClosedDay(ctx, domain.ClosedDay{BranchID: b, Date: day, Closed: s.r.IntN(3) != 0, Reason: "staff training"})
	default:
		closes := []string{"17:00", "19:00", "20:00"}[s.r.IntN(3)]
		err = r.svc.SetOpeningHours(ctx, domain.OpeningHours{BranchID: b, Weekday: 1 + s.r.IntN(6), Opens: "09:00", Closes: closes})
	}
	s.res.CentralCommands++
	var be *domain.Error
	switch {
	case err == nil:
	case errors.Is(err, errNoLeader), errors.Is(err, errNotCommitted), errors.Is(err, errReplicaDown):
		s.res.CentralUnavailable++
	case errors.As(err, &be):
		s.res.Refused++
	default:
		s.fail("central %s: command failed unexpectedly: %v", r.label, err)
	}
}

func (s *sim) register(n *simNode, ctx context.Context, home int) error {
	s.nextCard++
	card := fmt.Sprintf("C%06d", s.nextCard)
	cat := "ADULT"
	if s.r.IntN(4) == 0 {
		cat = "CHILD"
	}
	_, err := n.svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: card, Surname: fmt.Sprintf("Patron %d", s.nextCard), Category: cat,
		HomeBranch: s.branchID(home), PINHash: "$2a$04$simulated.pin.hash.not.used.for.logins.at.all.ok"})
	if err == nil {
		s.cards = append(s.cards, card)
	}
	return err
}

// command runs one thing a patron or staff member does at branch i.
func (s *sim) command(i int) {
	n := s.nodes[i]
	desk := s.desk(n)
	web := domain.WithActor(s.ctx, domain.Actor{ID: "patron", Role: domain.RolePatron, Channel: domain.ChannelWeb})
	card := s.cards[s.r.IntN(len(s.cards))]
	var err error
	switch k := s.r.IntN(100); {
	case k < 32: // lend something from this branch's shelves
		if it := s.pickItem(n, domain.ItemAvailable, n.branch); it != "" {
			_, err = n.svc.Checkout(desk, domain.CheckoutRequest{Cardnumber: card, Barcode: it})
		}
	case k < 56: // a return, at whichever branch the patron walks into
		if it := s.pickItem(n, domain.ItemCheckedOut, ""); it != "" {
			_, err = n.svc.Checkin(desk, domain.CheckinRequest{Barcode: it})
		}
	case k < 63: // renew online
		if p, e := n.svc.PatronByCard(s.ctx, card); e == nil {
			if ls, _ := n.svc.PatronLoans(s.ctx, p.PatronID, false); len(ls) > 0 {
				_, err = n.svc.Renew(web, domain.RenewRequest{LoanID: ls[s.r.IntN(len(ls))].LoanID})
			}
		}
	case k < 71: // place a hold online, popular titles most of all
		t := s.titles[s.r.IntN(len(s.titles))]
		if s.r.IntN(2) == 0 {
			t = s.titles[s.r.IntN(max(1, len(s.titles)/10))]
		}
		pickup := s.r.IntN(len(s.nodes))
		var h *domain.Hold
		if h, err = n.svc.PlaceHold(web, domain.HoldRequest{Cardnumber: card, BiblioID: t, PickupBranch: s.branchID(pickup)}); err == nil {
			s.holdsAt[pickup] = append(s.holdsAt[pickup], h.HoldID)
		}
	case k < 76: // a patron collects a hold from this branch's shelf
		if h := s.readyHold(n); h != nil {
			_, err = n.svc.Checkout(desk, domain.CheckoutRequest{PatronID: h.PatronID, ItemID: h.TrappedItem})
		}
	case k < 81: // pay, at the desk or online
		if p, e := n.svc.PatronByCard(s.ctx, card); e == nil {
			if a, _ := n.svc.Account(s.ctx, p.PatronID); a != nil && a.BalanceCents > 0 {
				ctx := desk
				if s.r.IntN(2) == 0 {
					ctx = web
				}
				_, err = n.svc.Pay(ctx, p.PatronID, domain.PaymentRequest{AmountCents: a.BalanceCents, Method: "card"})
			}
		}
	case k < 84:
		err = s.register(n, desk, i)
	case k < 89: // edit a popular patron's details, which other branches edit too
		if p, e := n.svc.PatronByCard(s.ctx, s.popular[s.r.IntN(len(s.popular))]); e == nil {
			phone := fmt.Sprintf("555-%04d", s.r.IntN(10000))
			_, err = n.svc.UpdatePatron(desk, p.PatronID, domain.PatronUpdate{Phone: &phone})
		}
	case k < 91: // another return
		if it := s.pickItem(n, domain.ItemCheckedOut, ""); it != "" {
			_, err = n.svc.Checkin(desk, domain.CheckinRequest{Barcode: it})
		}
	case k < 93: // rare: a copy another branch holds is scanned here (mislabelled stock)
		if it := s.pickItem(n, domain.ItemAvailable, s.branchID(s.r.IntN(len(s.nodes)))); it != "" {
			_, err = n.svc.Checkout(desk, domain.CheckoutRequest{Cardnumber: card, Barcode: it})
		}
	case k < 96: // a supervisor works the conflicts queue
		err = s.resolveOne(n, desk)
	case k < 98: // now and then, a lost book
		if s.r.IntN(10) != 0 {
			break
		}
		if it := s.pickItem(n, domain.ItemCheckedOut, ""); it != "" {
			if item, e := n.svc.ItemByBarcode(s.ctx, it); e == nil {
				_, err = n.svc.DeclareLost(desk, item.ItemID)
			}
		}
	default: // a fee waived with a reason
		if p, e := n.svc.PatronByCard(s.ctx, card); e == nil {
			if a, _ := n.svc.Account(s.ctx, p.PatronID); a != nil && a.BalanceCents > 0 {
				_, err = n.svc.Waive(desk, p.PatronID, domain.PaymentRequest{AmountCents: a.BalanceCents, Reason: "goodwill"})
			}
		}
	}
	s.outcome(n, err)
}

// outcome counts a command's outcome at branch n.
func (s *sim) outcome(n *simNode, err error) {
	s.res.Commands++
	var be *domain.Error
	switch {
	case err == nil:
		n.noteAck()
	case errors.Is(err, errCrash):
		s.res.Failed++
		s.crash(n)
	case errors.As(err, &be):
		s.res.Refused++
	case n.diskFull:
		s.res.Failed++ // the disk is full: the command failed cleanly
	default:
		s.fail("%s: command failed unexpectedly: %v", n.branch, err)
	}
}

// pickItem chooses a barcode in a status, at a branch ("" for any), from
// this node's view: as at a desk, a patron brings a copy (one from that
// branch's stock, or any copy) and staff scan it. A few tries, then none.
func (s *sim) pickItem(n *simNode, status, at string) string {
	var pool []int
	if at != "" {
		for i := range s.nodes {
			if s.branchID(i) == at {
				pool = s.homeItems[i]
			}
		}
		if len(pool) == 0 {
			return ""
		}
	}
	for try := 0; try < 8; try++ {
		k := s.r.IntN(len(s.barcodes))
		if pool != nil {
			k = pool[s.r.IntN(len(pool))]
		}
		it, err := n.svc.ItemByBarcode(s.ctx, s.barcodes[k])
		if err == nil && it.Status == status && (at == "" || it.Location == at) {
			return it.Barcode
		}
	}
	return ""
}

// readyHold finds a hold waiting on this branch's shelf, from the holds
// placed for pickup here (forgetting those that are over).
func (s *sim) readyHold(n *simNode) *domain.Hold {
	ids := s.holdsAt[n.idx]
	for try := 0; try < 4 && len(ids) > 0; try++ {
		k := s.r.IntN(len(ids))
		h, err := n.svc.Hold(s.ctx, ids[k])
		if err != nil {
			continue // not here yet
		}
		if h.Status == domain.HoldReady && h.TrappedItem != "" {
			return h
		}
		if !h.Active() {
			ids[k] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			s.holdsAt[n.idx] = ids
		}
	}
	return nil
}

// desk is a supervisor at branch n's desk.
func (s *sim) desk(n *simNode) context.Context {
	return domain.WithActor(s.ctx, domain.Actor{ID: "staff-" + n.branch, Role: domain.RoleSupervisor, Channel: domain.ChannelDesk})
}

// van is the morning delivery: staff check in every copy that was sent to
// this branch (returned elsewhere to come home, or trapped for a hold to
// be collected here), as far as this branch's replica knows of it; a copy
// whose transit it has not heard of yet comes with tomorrow's van. Without
// it, every copy returned away from home would stay in transit for good.
func (s *sim) van(i int) {
	n := s.nodes[i]
	desk := s.desk(n)
	var items []*domain.Item
	for page := 0; ; page++ { // the list comes a thousand at a time
		more, err := n.svc.Items(s.ctx, branch.ItemFilter{TransitTo: n.branch, Limit: 1000, Offset: 1000 * page})
		if err != nil {
			s.fail("%s: listing the items in transit here: %v", n.branch, err)
			return
		}
		items = append(items, more...)
		if len(more) < 1000 {
			break
		}
	}
	for _, it := range items {
		if !n.isUp {
			break
		}
		_, err := n.svc.Checkin(desk, domain.CheckinRequest{ItemID: it.ItemID})
		s.outcome(n, err)
	}
}

// morning is each branch's opening routine: the hold shelf is cleared of
// holds not collected in time.
func (s *sim) morning(i int) {
	n := s.nodes[i]
	desk := s.desk(n)
	_, err := n.svc.ExpireHolds(desk)
	s.outcome(n, err)
}

func (s *sim) resolveOne(n *simNode, ctx context.Context) error {
	cs, err := n.svc.Conflicts(s.ctx, "open")
	if err != nil || len(cs) == 0 {
		return err
	}
	c := cs[s.r.IntN(len(cs))]
	res := domain.Resolution{Action: domain.ActionAcknowledge, Note: "checked with the patron"}
	var d struct {
		Checkouts []struct {
			LoanID string `json:"checkout_id"`
		} `json:"checkouts"`
		PatronIDs []string `json:"patron_ids"`
	}
	json.Unmarshal(c.Details, &d)
	switch {
	case c.Kind == domain.ConflictDoubleLoan && len(d.Checkouts) > 0:
		res = domain.Resolution{Action: domain.ActionKeepLoan, LoanID: d.Checkouts[s.r.IntN(len(d.Checkouts))].LoanID}
	case c.Kind == domain.ConflictDuplicateCard && len(d.PatronIDs) > 1:
		res = domain.Resolution{Action: domain.ActionNewCard, PatronID: d.PatronIDs[1]}
	case c.Kind == domain.ConflictOverpayment:
		res = domain.Resolution{Action: domain.ActionRefund}
	}
	_, err = n.svc.ResolveConflict(ctx, c.ConflictID, res)
	return err
}
