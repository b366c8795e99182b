// Package demo loads a realistic demo library into a new node: four
// branches, a catalogue built from real MARC records (with e-book editions),
// copies, patrons in several categories, a rules matrix, calendars, and a
// few weeks of loans, returns, holds and fines. The content is the same on
// every run (a fixed seed); only the generated IDs differ.
package demo

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/marc"
	"stacks/replicate"
)

//go:embed data/*.mrc data/*.marc data/*.xml data/classics.tsv
var records embed.FS

// Credentials of the demo accounts. Demo only: never in production.
const (
	AdminUser, AdminPassword           = "admin", "admin"
	SupervisorUser, SupervisorPassword = "super", "super"
	ClerkUser, ClerkPassword           = "clerk", "clerk"
	KioskUser, KioskPassword           = "demo-kiosk", "demo-kiosk"
	PatronPIN                          = "1234"
)

// Branches of the demo library system.
var Branches = []domain.Library{
	{BranchID: "MAIN", Name: "Central Library", InstitutionID: "STACKS", Address: "1 Library Square", Email: "central@stacks.example", Phone: "555-0100", HoldShelfDays: 7},
	{BranchID: "EAST", Name: "Eastside Branch", InstitutionID: "STACKS", Address: "42 Harbour Road", Email: "eastside@stacks.example", Phone: "555-0110", HoldShelfDays: 7},
	{BranchID: "WEST", Name: "Westfield Branch", InstitutionID: "STACKS", Address: "7 Orchard Lane", Email: "westfield@stacks.example", Phone: "555-0120", HoldShelfDays: 5},
	{BranchID: "NORTH", Name: "Northgate Branch", InstitutionID: "STACKS", Address: "300 Mill Street", Email: "northgate@stacks.example", Phone: "555-0130", HoldShelfDays: 5},
}

// Options tune the demo.
type Options struct {
	Logger  *slog.Logger
	PINCost int
	Rand    io.Reader
	// Now is "today" for the demo's history of loans.
	Now      time.Time
	Location *time.Location
}

// Stats counts what was loaded.
type Stats struct {
	Titles, Items, Patrons, Loans, Returns, Holds, FeeLines int
}

// movableClock lets the loader replay weeks of history.
type movableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movableClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movableClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Load fills an empty library through the domain commands of log.
func Load(ctx context.Context, log *replicate.Log, opt Options) (Stats, error) {
	var st Stats
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.PINCost == 0 {
		opt.PINCost = 10
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	clock := &movableClock{t: opt.Now}
	svcs := map[string]*branch.Service{}
	for _, b := range Branches {
		cfg := branch.DefaultConfig(b.BranchID)
		cfg.Clock, cfg.Location, cfg.Logger, cfg.PINCost = clock, opt.Location, opt.Logger, opt.PINCost
		if opt.Rand != nil {
			cfg.Rand = opt.Rand
		}
		svc, err := branch.NewService(log, cfg)
		if err != nil {
			return st, err
		}
		svcs[b.BranchID] = svc
	}
	main := svcs["MAIN"]
	admin := domain.WithActor(ctx, domain.Actor{ID: "demo-loader", Role: domain.RoleAdmin, Channel: domain.ChannelSync})
	r := rand.New(rand.NewPCG(2026, 11))

	// The library's records begin three months ago; its history runs to today.
	clock.set(opt.Now.AddDate(0, -3, 0))
	if err := policy(admin, main, opt.Now); err != nil {
		return st, fmt.Errorf("demo policy: %w", err)
	}
	biblios, err := catalogue(admin, main, r)
	if err != nil {
		return st, fmt.Errorf("demo catalogue: %w", err)
	}
	st.Titles = len(biblios)
	barcodes, err := copies(admin, main, r, biblios)
	if err != nil {
		return st, fmt.Errorf("demo items: %w", err)
	}
	st.Items = len(barcodes)
	cards, err := patrons(admin, main, r, opt.PINCost)
	if err != nil {
		return st, fmt.Errorf("demo patrons: %w", err)
	}
	st.Patrons = len(cards)
	if err := staff(admin, main); err != nil {
		return st, fmt.Errorf("demo staff: %w", err)
	}
	if err := history(ctx, svcs, clock, r, opt.Now, cards, barcodes, biblios, &st); err != nil {
		return st, fmt.Errorf("demo history: %w", err)
	}
	clock.set(opt.Now)
	opt.Logger.Info("demo library loaded", "titles", st.Titles, "items", st.Items, "patrons", st.Patrons,
		"loans", st.Loans, "returns", st.Returns, "holds", st.Holds)
	return st, nil
}

func policy(ctx context.Context, svc *branch.Service, now time.Time) error {
	for _, b := range Branches {
		if err := svc.SetLibrary(ctx, b); err != nil {
			return err
		}
	}
	for _, c := range []domain.Category{
		{Category: "ADULT", Description: "Adult", MaxFineCents: 1000, EnrolmentMonths: 36, MaxHolds: 15},
		{Category: "CHILD", Description: "Child (under 13)", MaxFineCents: 500, EnrolmentMonths: 12, MaxHolds: 5},
		{Category: "TEEN", Description: "Teen (13-17)", MaxFineCents: 500, EnrolmentMonths: 12, MaxHolds: 10},
		{Category: "SENIOR", Description: "Senior (65+)", MaxFineCents: 1000, EnrolmentMonths: 36, MaxHolds: 15},
		{Category: "STAFF", Description: "Library staff", MaxFineCents: 5000, EnrolmentMonths: 12, MaxHolds: 25},
		// Patrons who registered on the web, until staff verify them:
		// two loans, no holds (rules below), a three-month card.
		{Category: domain.CategorySelfRegistered, Description: "Self-registered, not yet verified", MaxFineCents: 500, EnrolmentMonths: 3, MaxHolds: 1},
	} {
		if err := svc.SetCategory(ctx, c); err != nil {
			return err
		}
	}
	for _, t := range []domain.ItemType{
		{ItemType: "BOOK", Description: "Book", ReplacementCents: 2500, ProcessingCents: 500},
		{ItemType: "DVD", Description: "DVD", ReplacementCents: 3000, ProcessingCents: 500},
		{ItemType: "BLURAY", Description: "Blu-ray disc", ReplacementCents: 3500, ProcessingCents: 500},
		{ItemType: "CD", Description: "Music CD", ReplacementCents: 2000, ProcessingCents: 500},
		{ItemType: "AUDIOBOOK", Description: "Audiobook on disc", ReplacementCents: 4000, ProcessingCents: 500},
		{ItemType: "SCORE", Description: "Printed music", ReplacementCents: 2500, ProcessingCents: 500},
		{ItemType: "MAP", Description: "Map", ReplacementCents: 1500, ProcessingCents: 300},
		{ItemType: "SERIAL", Description: "Journal or magazine issue", ReplacementCents: 1000, ProcessingCents: 0},
		{ItemType: "REF", Description: "Reference (library use only)", ReplacementCents: 5000, ProcessingCents: 500},
		// Digital formats lend under licences (branch/digital); their rules
		// set loan periods, renewals and how many a patron may have.
		{ItemType: "EBOOK", Description: "E-book"},
		{ItemType: "EAUDIOBOOK", Description: "E-audiobook"},
		{ItemType: "EMAGAZINE", Description: "E-magazine"},
	} {
		if err := svc.SetItemType(ctx, t); err != nil {
			return err
		}
	}
	rules := []domain.Rule{
		{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 3, MaxLoans: 40, FineCents: 25, GraceDays: 2, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "DVD", LoanDays: 7, Renewals: 1, MaxLoans: 10, FineCents: 100, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "BLURAY", LoanDays: 7, Renewals: 1, MaxLoans: 10, FineCents: 100, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "CD", LoanDays: 14, Renewals: 2, MaxLoans: 20, FineCents: 50, GraceDays: 1, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "SERIAL", LoanDays: 7, Renewals: 0, MaxLoans: 5, FineCents: 25, MaxFineCents: 500, HoldsAllowed: false},
		{BranchID: "*", Category: "*", ItemType: "REF", LoanDays: 0, HoldsAllowed: false},
		{BranchID: "*", Category: "*", ItemType: "EBOOK", LoanDays: 14, Renewals: 2, MaxLoans: 10, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "EAUDIOBOOK", LoanDays: 14, Renewals: 2, MaxLoans: 10, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "EMAGAZINE", LoanDays: 7, Renewals: 0, MaxLoans: 10, HoldsAllowed: true},
		{BranchID: "*", Category: "CHILD", ItemType: "*", LoanDays: 21, Renewals: 3, MaxLoans: 20, FineCents: 10, GraceDays: 3, MaxFineCents: 200, HoldsAllowed: true},
		{BranchID: "*", Category: "CHILD", ItemType: "BLURAY", LoanDays: 7, Renewals: 0, MaxLoans: 2, FineCents: 10, MaxFineCents: 200, HoldsAllowed: false},
		{BranchID: "*", Category: "SENIOR", ItemType: "*", LoanDays: 28, Renewals: 3, MaxLoans: 40, FineCents: 10, GraceDays: 3, MaxFineCents: 500, HoldsAllowed: true},
		{BranchID: "*", Category: "STAFF", ItemType: "*", LoanDays: 42, Renewals: 5, MaxLoans: 60, FineCents: 0, MaxFineCents: 0, HoldsAllowed: true},
		{BranchID: "*", Category: domain.CategorySelfRegistered, ItemType: "*", LoanDays: 21, Renewals: 1, MaxLoans: 2, FineCents: 25, MaxFineCents: 500, HoldsAllowed: false},
		{BranchID: "EAST", Category: domain.CategorySelfRegistered, ItemType: "*", LoanDays: 21, Renewals: 1, MaxLoans: 2, FineCents: 25, MaxFineCents: 500, HoldsAllowed: false},
		{BranchID: "EAST", Category: "*", ItemType: "*", LoanDays: 28, Renewals: 3, MaxLoans: 40, FineCents: 25, GraceDays: 2, MaxFineCents: 1000, HoldsAllowed: true},
	}
	for _, rl := range rules {
		if err := svc.SetRule(ctx, rl); err != nil {
			return err
		}
	}
	for _, b := range Branches {
		for wd := 0; wd < 7; wd++ {
			h := domain.OpeningHours{BranchID: b.BranchID, Weekday: wd}
			switch {
			case b.BranchID == "MAIN" && wd == 0:
				h.Opens, h.Closes = "13:00", "17:00"
			case b.BranchID == "MAIN":
				h.Opens, h.Closes = "09:00", "20:00"
			case wd == 0:
			case wd == 6:
				h.Opens, h.Closes = "10:00", "16:00"
			default:
				h.Opens, h.Closes = "10:00", "19:00"
			}
			if err := svc.SetOpeningHours(ctx, h); err != nil {
				return err
			}
		}
		for _, y := range []int{now.Year(), now.Year() + 1} {
			for _, d := range []struct{ date, reason string }{
				{fmt.Sprintf("%d-01-01", y), "New Year's Day"},
				{fmt.Sprintf("%d-12-24", y), "Christmas Eve"},
				{fmt.Sprintf("%d-12-25", y), "Christmas Day"},
				{fmt.Sprintf("%d-12-26", y), "Boxing Day"},
			} {
				if err := svc.SetClosedDay(ctx, domain.ClosedDay{BranchID: b.BranchID, Date: d.date, Closed: true, Reason: d.reason}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

type title struct {
	id       string
	format   string
	itemType string
	call     string
	digital  bool
}

var formatItemType = map[string]string{"book": "BOOK", "music_cd": "CD", "audiobook": "AUDIOBOOK", "dvd": "DVD", "video": "DVD",
	"bluray": "BLURAY", "score": "SCORE", "map": "MAP", "serial": "SERIAL", "photo": "REF", "other": "BOOK"}

// readRecords reads every embedded MARC file, in name order.
func readRecords() ([]*marc.Record, error) {
	names, err := fs.Glob(records, "data/*[mx][ral]*")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*marc.Record
	for _, name := range names {
		b, err := records.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rd := marc.NewReader(bytes.NewReader(b))
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				continue // a damaged record is skipped; the reader resynchronises
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

func catalogue(ctx context.Context, svc *branch.Service, r *rand.Rand) ([]title, error) {
	recs, err := readRecords()
	if err != nil {
		return nil, err
	}
	var nbs []domain.NewBiblio
	var meta []title
	add := func(nb domain.NewBiblio, t title) {
		nbs = append(nbs, nb)
		meta = append(meta, t)
	}
	for _, rec := range recs {
		b := rec.Biblio()
		if strings.TrimSpace(b.Title) == "" {
			continue
		}
		nb := domain.NewBiblio{Title: b.Title, Subtitle: b.Subtitle, Authors: b.Authors, Subjects: b.Subjects, ISBN: b.ISBN,
			Language: b.Language, Format: b.Format, Publisher: b.Publisher, Year: b.Year}
		if nb.Year > 2200 || nb.Year < 0 {
			nb.Year = 0
		}
		known := false
		for _, f := range domain.Formats {
			known = known || f == nb.Format
		}
		if !known {
			nb.Format = "other"
		}
		call := b.CallNumber
		if nb.Format == "ebook" {
			nb.Licences = 1 + r.IntN(5)
			add(nb, title{format: nb.Format, digital: true})
			continue
		}
		add(nb, title{format: nb.Format, itemType: formatItemType[nb.Format], call: call})
		// Many printed books also come as an e-book edition under licence.
		if nb.Format == "book" && r.IntN(10) < 9 {
			eb := nb
			eb.Format, eb.Licences = "ebook", 1+r.IntN(5)
			if r.IntN(4) == 0 {
				eb.Format = "eaudiobook"
			}
			add(eb, title{format: eb.Format, digital: true})
		}
	}
	classics, err := readClassics()
	if err != nil {
		return nil, err
	}
	for _, nb := range classics {
		add(nb, title{format: "book", itemType: "BOOK", call: "FIC " + callLetters(nb.Authors)})
		// Public-domain classics are licensed as e-books and audiobooks too.
		if r.IntN(3) > 0 {
			eb := nb
			eb.Format, eb.Licences = "ebook", 2+r.IntN(8)
			add(eb, title{format: "ebook", digital: true})
		}
		if r.IntN(3) == 0 {
			ab := nb
			ab.Format = "audiobook"
			add(ab, title{format: "audiobook", itemType: "AUDIOBOOK", call: "CD " + callLetters(nb.Authors)})
		}
	}
	for i := 0; i < len(nbs); i += 500 {
		end := min(i+500, len(nbs))
		ids, err := svc.AddBiblios(ctx, nbs[i:end])
		if err != nil {
			return nil, err
		}
		for j, id := range ids {
			meta[i+j].id = id
		}
	}
	return meta, nil
}

// readClassics reads the embedded list of public-domain works.
func readClassics() ([]domain.NewBiblio, error) {
	b, err := records.ReadFile("data/classics.tsv")
	if err != nil {
		return nil, err
	}
	var out []domain.NewBiblio
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 {
			continue // header
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("classics.tsv line %d: %d fields, want 6", i+1, len(f))
		}
		year, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("classics.tsv line %d: year %q", i+1, f[3])
		}
		var subjects []string
		for _, s := range strings.Split(f[5], ";") {
			if s = strings.TrimSpace(s); s != "" {
				subjects = append(subjects, s)
			}
		}
		out = append(out, domain.NewBiblio{Title: f[0], Subtitle: f[1], Authors: []string{f[2]}, Year: year, Language: f[4],
			Subjects: subjects, Format: "book", Publisher: "Public domain edition"})
	}
	return out, nil
}

// callLetters is the first three letters of the first author's surname.
func callLetters(authors []string) string {
	if len(authors) == 0 {
		return "ANON"
	}
	name := strings.ToUpper(strings.TrimSpace(strings.Split(authors[0], ",")[0]))
	r := []rune(name)
	return string(r[:min(3, len(r))])
}

// demoProperties is what copies of a format are made of, as staff would
// record it: kiosks show it at checkout and checkin (SIP2 CH).
var demoProperties = map[string]string{
	"dvd": "DVD in a locked case", "video": "DVD in a locked case", "music_cd": "CD in a locked case",
	"audiobook": "Audiobook: several discs and a booklet in one case",
}

func copies(ctx context.Context, svc *branch.Service, r *rand.Rand, titles []title) ([]string, error) {
	var nis []domain.NewItem
	seq := 1
	for _, t := range titles {
		if t.digital {
			continue
		}
		n := 1 + r.IntN(3)
		for c := 0; c < n; c++ {
			typ := t.itemType
			home := Branches[r.IntN(len(Branches))].BranchID
			if c == 0 && t.format == "book" && r.IntN(25) == 0 {
				typ, home = "REF", "MAIN"
			}
			call := t.call
			if call == "" {
				call = strings.ToUpper(t.format)
			}
			nis = append(nis, domain.NewItem{Barcode: fmt.Sprintf("3900000%07d", seq), BiblioID: t.id, HomeBranch: home,
				ItemType: typ, CallNumber: call, Properties: demoProperties[t.format]})
			seq++
		}
	}
	for i := 0; i < len(nis); i += 500 {
		if _, err := svc.AddItems(ctx, nis[i:min(i+500, len(nis))]); err != nil {
			return nil, err
		}
	}
	out := make([]string, len(nis))
	for i, ni := range nis {
		out[i] = ni.Barcode
	}
	return out, nil
}

var firstNames = []string{"Amara", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "George", "Hana", "Isaac", "Jun", "Kofi", "Lena",
	"Mateo", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Samir", "Tove", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe"}
var surnames = []string{"Abbott", "Baptiste", "Castillo", "Dubois", "Eriksen", "Fitzgerald", "Gonzalez", "Haddad", "Ivanova",
	"Jensen", "Kowalski", "Lindqvist", "Mensah", "Nakamura", "O'Brien", "Petrov", "Quispe", "Rahman", "Schulz", "Tanaka"}

// patrons registers 240 patrons; demo patrons' PIN is 1234.
func patrons(ctx context.Context, svc *branch.Service, r *rand.Rand, cost int) ([]string, error) {
	hash, err := branch.HashSecret(PatronPIN, cost)
	if err != nil {
		return nil, err
	}
	cats := []string{"ADULT", "ADULT", "ADULT", "ADULT", "CHILD", "CHILD", "TEEN", "SENIOR", "SENIOR", "STAFF"}
	var cards []string
	for i := 0; i < 240; i++ {
		first, last := firstNames[i%len(firstNames)], surnames[(i/len(firstNames)+i)%len(surnames)]
		card := fmt.Sprintf("2100000%07d", i+1)
		p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: card, Firstname: first, Surname: last,
			Email:   strings.ToLower(strings.ReplaceAll(first+"."+last, "'", "")) + fmt.Sprintf("%d@example.org", i+1),
			Phone:   fmt.Sprintf("555-%04d", 1000+i),
			Address: fmt.Sprintf("%d %s Street", 1+r.IntN(300), surnames[r.IntN(len(surnames))]), HomeBranch: Branches[r.IntN(len(Branches))].BranchID,
			Category: cats[r.IntN(len(cats))], PINHash: hash})
		if err != nil {
			return nil, err
		}
		switch {
		case i%60 == 7:
			if _, err := svc.BlockPatron(ctx, p.PatronID, "Library card reported stolen"); err != nil {
				return nil, err
			}
		case i%45 == 11:
			if _, err := svc.ExpireCard(ctx, p.PatronID); err != nil {
				return nil, err
			}
		}
		cards = append(cards, card)
	}
	return cards, nil
}

func staff(ctx context.Context, svc *branch.Service) error {
	for _, s := range []domain.NewStaff{
		{Username: AdminUser, DisplayName: "Demo administrator", Role: domain.RoleAdmin, BranchID: "MAIN", Password: AdminPassword},
		{Username: SupervisorUser, DisplayName: "Demo supervisor", Role: domain.RoleSupervisor, BranchID: "MAIN", Password: SupervisorPassword},
		{Username: ClerkUser, DisplayName: "Demo circulation clerk", Role: domain.RoleCirculation, BranchID: "MAIN", Password: ClerkPassword},
		{Username: KioskUser, DisplayName: "Demo self-check kiosk", Role: domain.RoleKiosk, BranchID: "MAIN", Password: KioskPassword},
	} {
		if _, err := svc.SetStaff(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// history replays five weeks of a library's life, ending today: loans at
// every branch, most returned (some late, with fines), renewals, holds
// placed and trapped, payments.
func history(ctx context.Context, svcs map[string]*branch.Service, clock *movableClock, r *rand.Rand, now time.Time,
	cards, barcodes []string, titles []title, st *Stats) error {
	desk := func(b string) context.Context {
		return domain.WithActor(ctx, domain.Actor{ID: "demo-" + strings.ToLower(b), Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	}
	start := now.AddDate(0, 0, -35)
	type placed struct{ biblio, pickup string }
	var out []string
	var holds []placed
	for day := 0; day <= 35; day++ {
		for hour := 10; hour < 18; hour += 2 {
			clock.set(time.Date(start.Year(), start.Month(), start.Day()+day, hour, r.IntN(60), 0, 0, now.Location()))
			if !clock.Now().Before(now) {
				break
			}
			b := Branches[r.IntN(len(Branches))].BranchID
			svc := svcs[b]
			// Lend a few items.
			for k := 0; k < 2; k++ {
				res, err := svc.Checkout(desk(b), domain.CheckoutRequest{Cardnumber: cards[r.IntN(len(cards))], Barcode: barcodes[r.IntN(len(barcodes))]})
				if err == nil {
					st.Loans++
					out = append(out, res.Item.Barcode)
				}
			}
			// Return some, mostly in order of lending.
			if len(out) > 40 && r.IntN(3) > 0 {
				i := r.IntN(len(out) / 3)
				if _, err := svc.Checkin(desk(b), domain.CheckinRequest{Barcode: out[i]}); err == nil {
					st.Returns++
				}
				out = append(out[:i], out[i+1:]...)
			}
			if r.IntN(6) == 0 && len(out) > 0 {
				svc.Renew(desk(b), domain.RenewRequest{Barcode: out[r.IntN(len(out))]})
			}
			if r.IntN(3) == 0 {
				t := titles[r.IntN(len(titles))]
				p, err := svc.PatronByCard(ctx, cards[r.IntN(len(cards))])
				if err == nil {
					web := domain.WithActor(ctx, domain.Actor{ID: p.PatronID, Role: domain.RolePatron, Channel: domain.ChannelWeb})
					if h, err := svc.PlaceHold(web, domain.HoldRequest{PatronID: p.PatronID, BiblioID: t.id,
						PickupBranch: Branches[r.IntN(len(Branches))].BranchID}); err == nil {
						st.Holds++
						holds = append(holds, placed{t.id, h.PickupBranch})
					}
				}
			}
			if r.IntN(8) == 0 {
				p, err := svc.PatronByCard(ctx, cards[r.IntN(len(cards))])
				if err == nil {
					if a, err := svc.Account(ctx, p.PatronID); err == nil && a.BalanceCents > 0 {
						svc.Pay(desk(b), p.PatronID, domain.PaymentRequest{AmountCents: a.BalanceCents, Method: "cash"})
					}
				}
			}
		}
	}
	// This morning's returns: a copy on the pickup branch's shelf checked
	// in for a few of the holds fills them, so the hold shelf has ready
	// holds (and their patrons a hold-ready notice).
	clock.set(now.Add(-time.Minute))
	trapped := 0
	for _, h := range holds {
		if trapped == 6 {
			break
		}
		svc := svcs[h.pickup]
		its, err := svc.Items(ctx, branch.ItemFilter{BiblioID: h.biblio, Branch: h.pickup, Status: domain.ItemAvailable, Limit: 1})
		if err != nil || len(its) == 0 {
			continue
		}
		if res, err := svc.Checkin(desk(h.pickup), domain.CheckinRequest{Barcode: its[0].Barcode}); err == nil && res.Hold != nil {
			trapped++
		}
	}
	return nil
}
