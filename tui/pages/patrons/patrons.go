// Package patrons is the Patrons screen: search by name, card or email;
// view a patron's profile, loans, holds and fees; edit the profile,
// register a new patron, renew a card, block or unblock, take a payment or
// waive a fee with a reason, and renew loans.
package patrons

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/components/modal"
	"stacks/tui/components/scanner"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	SearchPatrons(ctx context.Context, term string, max int) ([]*domain.Patron, error)
	PatronStatus(ctx context.Context, id string) (*domain.PatronStatus, error)
	PatronLoans(ctx context.Context, id string, history bool) ([]*domain.Loan, error)
	PatronHolds(ctx context.Context, id string) ([]*domain.Hold, error)
	Account(ctx context.Context, id string) (*domain.Account, error)
	RegisterPatron(ctx context.Context, np domain.NewPatron) (*domain.Patron, error)
	UpdatePatron(ctx context.Context, id string, u domain.PatronUpdate) (*domain.Patron, error)
	BlockPatron(ctx context.Context, id, reason string) (*domain.Patron, error)
	UnblockPatron(ctx context.Context, id string) (*domain.Patron, error)
	RenewCard(ctx context.Context, id string) (*domain.Patron, error)
	Pay(ctx context.Context, id string, req domain.PaymentRequest) (*domain.Account, error)
	Waive(ctx context.Context, id string, req domain.PaymentRequest) (*domain.Account, error)
	Renew(ctx context.Context, req domain.RenewRequest) (*apitype.Renewal, error)
	RenewDigital(ctx context.Context, loanID string) (*domain.DigitalResult, error)
	PatronNotices(ctx context.Context, id string) (*apitype.PatronNotices, error)
	ResendNotice(ctx context.Context, key string) (*domain.Notice, error)
	PrintReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (*apitype.PrintJob, error)
}

// cardSlipKey prints the welcome slip with the card's barcode (a new
// patron's, or a replacement of a lost paper card).
var cardSlipKey = key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("^P", "print card slip"))

var _ API = (*client.Client)(nil)

const maxResults = 100

// ResultsMsg is the patrons found, or why not.
type ResultsMsg struct {
	Term    string
	Patrons []*domain.Patron
	Err     error
}

// ProfileMsg is everything the profile shows about one patron.
type ProfileMsg struct {
	Status  *domain.PatronStatus
	Loans   []*domain.Loan
	Holds   []*domain.Hold
	Account *domain.Account
	// Notices are the patron's notices and flagged contacts; nil when the
	// desk may not read them.
	Notices *apitype.PatronNotices
	Err     error
}

// DoneMsg is the answer to an action on a patron: what to say, and the
// patron to show next (reloaded).
type DoneMsg struct {
	PatronID string
	Said     string
	Err      error
}

type mode int

const (
	modeSearch mode = iota
	modeList
	modeProfile
)

// Tabs of the profile.
const (
	tabLoans = iota
	tabHolds
	tabFees
	tabNotices
	nTabs
)

// Model is the screen.
type Model struct {
	s     *session.Session
	api   API
	input *scanner.Model
	mode  mode

	term    string
	results []*domain.Patron
	cursor  int

	prof   *ProfileMsg
	tab    int
	row    [nTabs]int
	form   *form.Model
	action string

	flash    string
	flashErr bool
	w, h     int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	in := scanner.New("Find patron:")
	in.PromptStyle, in.MutedStyle = s.Styles.Label, s.Styles.Muted
	return &Model{s: s, api: api, input: in, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Patrons" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init starts nothing.
func (m *Model) Init() tea.Cmd { return nil }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	switch {
	case m.form != nil:
		return []key.Binding{k.NextField, k.Submit, k.Back}
	case m.mode == modeProfile:
		return m.s.HelpKeys(session.Gated{Key: k.Back}, session.Gated{Key: k.NextTab}, session.Gated{Key: k.Edit, Perm: domain.PermPatronsWrite},
			session.Gated{Key: k.Block, Perm: domain.PermPatronsBlock}, session.Gated{Key: k.RenewCard, Perm: domain.PermPatronsWrite},
			session.Gated{Key: k.Pay, Perm: domain.PermFeesPay}, session.Gated{Key: k.Waive, Perm: domain.PermFeesWaive},
			session.Gated{Key: k.RenewLoan, Perm: domain.PermCirculation}, session.Gated{Key: k.Resend, Perm: domain.PermNoticesSend},
			session.Gated{Key: cardSlipKey, Perm: domain.PermCirculation})
	case m.mode == modeList:
		return []key.Binding{k.Up, k.Choose, k.Search, k.Register}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search name/card/email")), k.Register}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ResultsMsg:
		if msg.Err != nil {
			m.say(format.Err(msg.Err), true)
			return nil
		}
		m.term, m.results, m.cursor = msg.Term, msg.Patrons, 0
		switch len(m.results) {
		case 0:
			m.say(fmt.Sprintf("No patron matches %q.", msg.Term), true)
		case 1:
			// A scanned card finds one patron: open it at once.
			m.say("", false)
			return m.open(m.results[0].PatronID)
		default:
			m.say("", false)
			m.setMode(modeList)
		}
	case ProfileMsg:
		if msg.Err != nil {
			m.say(format.Err(msg.Err), true)
			return nil
		}
		if m.prof == nil || m.prof.Status.Patron.PatronID != msg.Status.Patron.PatronID {
			m.tab, m.row = tabLoans, [nTabs]int{}
		}
		m.prof = &msg
		for i := range m.row {
			m.row[i] = min(m.row[i], max(0, m.rows(i)-1))
		}
		m.setMode(modeProfile)
	case DoneMsg:
		m.say(msg.Said, false)
		if msg.Err != nil {
			m.say(format.Err(msg.Err), true)
		}
		if msg.PatronID != "" {
			return m.open(msg.PatronID)
		}
	case tea.KeyMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) say(s string, isErr bool) { m.flash, m.flashErr = s, isErr }

func (m *Model) setMode(md mode) {
	m.mode = md
	m.input.Focused = md == modeSearch
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	keys := m.s.Keys
	if m.form != nil {
		res, cmd := m.form.Update(k)
		switch res {
		case form.Cancelled:
			m.form = nil
		case form.Submitted:
			return m.submit()
		}
		return cmd
	}
	if key.Matches(k, keys.Register) {
		m.openRegister()
		return nil
	}
	switch m.mode {
	case modeSearch:
		if key.Matches(k, keys.Down) && len(m.results) > 0 {
			m.setMode(modeList)
			return nil
		}
		if m.input.Update(k) {
			if s, ok := m.input.Next(); ok {
				m.input.Done()
				return m.search(s)
			}
		}
	case modeList:
		switch {
		case key.Matches(k, keys.Search), key.Matches(k, keys.Back):
			m.setMode(modeSearch)
		case key.Matches(k, keys.Up):
			m.cursor = max(0, m.cursor-1)
		case key.Matches(k, keys.Down):
			m.cursor = min(len(m.results)-1, m.cursor+1)
		case key.Matches(k, keys.Choose):
			return m.open(m.results[m.cursor].PatronID)
		}
	case modeProfile:
		return m.profileKey(k)
	}
	return nil
}

// profileActions are the profile's actions that need a permission, and
// how to say the role may not do them.
func (m *Model) mayNot(k tea.KeyMsg) (string, bool) {
	keys := m.s.Keys
	for _, a := range []struct {
		b    key.Binding
		perm domain.Permission
		what string
	}{
		{keys.Edit, domain.PermPatronsWrite, "edit patrons"},
		{keys.Block, domain.PermPatronsBlock, "block or unblock patrons"},
		{keys.RenewCard, domain.PermPatronsWrite, "renew cards"},
		{keys.Pay, domain.PermFeesPay, "take payments"},
		{keys.Waive, domain.PermFeesWaive, "waive fees"},
		{keys.RenewLoan, domain.PermCirculation, "renew loans"},
		{keys.Resend, domain.PermNoticesSend, "resend notices"},
		{cardSlipKey, domain.PermCirculation, "print card slips"},
	} {
		if key.Matches(k, a.b) && !m.s.Can(a.perm) {
			return m.s.MayNot(a.what), true
		}
	}
	return "", false
}

func (m *Model) profileKey(k tea.KeyMsg) tea.Cmd {
	keys := m.s.Keys
	p := m.prof.Status.Patron
	if msg, no := m.mayNot(k); no {
		m.say(msg, true)
		return nil
	}
	switch {
	case key.Matches(k, keys.Back):
		if len(m.results) > 1 {
			m.setMode(modeList)
		} else {
			m.setMode(modeSearch)
		}
		m.say("", false)
	case key.Matches(k, keys.Search):
		m.setMode(modeSearch)
	case key.Matches(k, keys.NextTab):
		m.tab = (m.tab + 1) % nTabs
	case k.Type == tea.KeyShiftTab:
		m.tab = (m.tab + nTabs - 1) % nTabs
	case key.Matches(k, keys.Up):
		m.row[m.tab] = max(0, m.row[m.tab]-1)
	case key.Matches(k, keys.Down):
		m.row[m.tab] = min(max(0, m.rows(m.tab)-1), m.row[m.tab]+1)
	case key.Matches(k, keys.Edit):
		m.openEdit(p)
	case key.Matches(k, cardSlipKey):
		return m.act(p.PatronID, "", func(ctx context.Context, api API) error {
			j, err := api.PrintReceipt(ctx, p.PatronID, apitype.ReceiptRequest{Kind: apitype.ReceiptWelcome})
			if err == nil {
				return sayErr{fmt.Sprintf("Card slip with the barcode sent to printer %s (job %d).", j.Printer, j.ID)}
			}
			return err
		})
	case key.Matches(k, keys.Block):
		if p.Blocked {
			return m.act(p.PatronID, "Block lifted.", func(ctx context.Context, api API) error {
				_, err := api.UnblockPatron(ctx, p.PatronID)
				return err
			})
		}
		m.openForm("block", "Block "+p.Name(), form.Field{Key: "reason", Label: "Reason", Hint: "required"})
	case key.Matches(k, keys.RenewCard):
		return m.act(p.PatronID, "Card renewed.", func(ctx context.Context, api API) error {
			_, err := api.RenewCard(ctx, p.PatronID)
			return err
		})
	case key.Matches(k, keys.Pay):
		m.openForm("pay", fmt.Sprintf("Take a payment from %s (owes %s)", p.Name(), format.Money(m.prof.Status.BalanceCents)),
			form.Field{Key: "amount", Label: "Amount", Value: format.Money(max(0, m.prof.Status.BalanceCents))},
			form.Field{Key: "method", Label: "Paid by", Value: "cash", Hint: "cash, card, cheque"})
	case key.Matches(k, keys.Waive):
		m.openForm("waive", fmt.Sprintf("Waive fees of %s (owes %s)", p.Name(), format.Money(m.prof.Status.BalanceCents)),
			form.Field{Key: "amount", Label: "Amount", Value: format.Money(max(0, m.prof.Status.BalanceCents))},
			form.Field{Key: "reason", Label: "Reason", Hint: "required"})
	case key.Matches(k, keys.Resend):
		if m.prof.Notices == nil || len(m.prof.Notices.Notices) == 0 {
			m.say("No notices to resend.", true)
			return nil
		}
		if m.tab != tabNotices {
			m.tab = tabNotices
			return nil
		}
		n := m.prof.Notices.Notices[m.row[tabNotices]]
		return m.act(p.PatronID, "", func(ctx context.Context, api API) error {
			r, err := api.ResendNotice(ctx, n.Key)
			if err == nil {
				return sayErr{fmt.Sprintf("Notice %s resent by %s: %s.", n.Kind, r.Channel, r.Status)}
			}
			return err
		})
	case key.Matches(k, keys.RenewLoan):
		if len(m.prof.Loans) == 0 {
			m.say("No loans to renew.", true)
			return nil
		}
		if m.tab != tabLoans {
			m.tab = tabLoans
			return nil
		}
		l := m.prof.Loans[m.row[tabLoans]]
		return m.act(p.PatronID, "", func(ctx context.Context, api API) error {
			if l.Digital { // an e-book: renewed under its licence, decided centrally
				r, err := api.RenewDigital(ctx, l.LoanID)
				if err == nil {
					return sayErr{fmt.Sprintf("Renewed %q: now due %s.", l.Title, r.Loan.DueDate)}
				}
				return err
			}
			r, err := api.Renew(ctx, domain.RenewRequest{LoanID: l.LoanID})
			if err == nil {
				return sayErr{fmt.Sprintf("Renewed %q: now due %s.", l.Title, r.DueDate)}
			}
			return err
		})
	}
	return nil
}

// sayErr carries a success message out of act's function.
type sayErr struct{ s string }

func (e sayErr) Error() string { return e.s }

// act runs an action on a patron, then reloads the profile.
func (m *Model) act(patronID, said string, fn func(context.Context, API) error) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		err := fn(context.Background(), api)
		if se, ok := err.(sayErr); ok {
			return DoneMsg{PatronID: patronID, Said: se.s}
		}
		return DoneMsg{PatronID: patronID, Said: said, Err: err}
	}
}

func (m *Model) search(term string) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		ps, err := api.SearchPatrons(context.Background(), term, maxResults)
		return ResultsMsg{Term: term, Patrons: ps, Err: err}
	}
}

// open loads a patron's profile.
func (m *Model) open(id string) tea.Cmd {
	api, can := m.api, m.s.Can(domain.PermNoticesRead)
	return func() tea.Msg {
		ctx := context.Background()
		var pm ProfileMsg
		if pm.Status, pm.Err = api.PatronStatus(ctx, id); pm.Err != nil {
			return pm
		}
		if pm.Loans, pm.Err = api.PatronLoans(ctx, id, false); pm.Err != nil {
			return pm
		}
		if pm.Holds, pm.Err = api.PatronHolds(ctx, id); pm.Err != nil {
			return pm
		}
		if pm.Account, pm.Err = api.Account(ctx, id); pm.Err != nil {
			return pm
		}
		if can {
			pm.Notices, pm.Err = api.PatronNotices(ctx, id)
		}
		return pm
	}
}

func (m *Model) openForm(action, title string, fields ...form.Field) {
	m.action = action
	m.form = form.New(title, m.s.Styles, m.s.Keys, fields...)
	m.form.SetWidth(min(64, m.w-6))
}

// profileFields are the fields of the register and edit forms.
func profileFields(p *domain.Patron, branchID string, register bool) []form.Field {
	if p == nil {
		p = &domain.Patron{HomeBranch: branchID, Category: "ADULT"}
	}
	fs := []form.Field{
		{Key: "firstname", Label: "First name", Value: p.Firstname},
		{Key: "surname", Label: "Surname", Value: p.Surname},
		{Key: "email", Label: "Email", Value: p.Email},
		{Key: "phone", Label: "Phone", Value: p.Phone},
		{Key: "address", Label: "Address", Value: p.Address},
		{Key: "dob", Label: "Date of birth", Value: p.DateOfBirth, Hint: "YYYY-MM-DD"},
		{Key: "category", Label: "Category", Value: p.Category},
		{Key: "library", Label: "Home branch", Value: p.HomeBranch},
	}
	if register {
		fs = append([]form.Field{{Key: "card", Label: "Card number", Hint: "blank: a new number"}}, fs...)
		fs = append(fs, form.Field{Key: "pin", Label: "PIN", Secret: true, Hint: "4-12 characters"})
	} else {
		fs = append(fs, form.Field{Key: "expiry", Label: "Card expires", Value: p.ExpiryDate})
	}
	return fs
}

func (m *Model) openRegister() {
	m.openForm("register", "Register a new patron", profileFields(nil, m.s.Staff.Branch, true)...)
}

func (m *Model) openEdit(p *domain.Patron) {
	m.openForm("edit", "Edit "+p.Name(), profileFields(p, m.s.Staff.Branch, false)...)
}

// submit carries out the form's action.
func (m *Model) submit() tea.Cmd {
	f := m.form
	var id string
	var p *domain.Patron
	if m.prof != nil {
		p = m.prof.Status.Patron
		id = p.PatronID
	}
	switch m.action {
	case "register":
		np := domain.NewPatron{Cardnumber: f.Value("card"), Firstname: f.Value("firstname"), Surname: f.Value("surname"),
			Email: f.Value("email"), Phone: f.Value("phone"), Address: f.Value("address"), DateOfBirth: f.Value("dob"),
			Category: strings.ToUpper(f.Value("category")), HomeBranch: strings.ToUpper(f.Value("library")), PIN: f.Value("pin")}
		api := m.api
		m.form = nil
		return func() tea.Msg {
			pt, err := api.RegisterPatron(context.Background(), np)
			if err != nil {
				return DoneMsg{Err: err}
			}
			return DoneMsg{PatronID: pt.PatronID, Said: "Registered " + pt.Name() + ", card " + pt.Cardnumber + "."}
		}
	case "edit":
		var u domain.PatronUpdate
		set := func(k string, dst **string, upper bool) {
			if f.Changed(k) {
				v := f.Value(k)
				if upper {
					v = strings.ToUpper(v)
				}
				*dst = &v
			}
		}
		set("firstname", &u.Firstname, false)
		set("surname", &u.Surname, false)
		set("email", &u.Email, false)
		set("phone", &u.Phone, false)
		set("address", &u.Address, false)
		set("dob", &u.DateOfBirth, false)
		set("category", &u.Category, true)
		set("library", &u.HomeBranch, true)
		set("expiry", &u.ExpiryDate, false)
		m.form = nil
		return m.act(id, "Profile saved.", func(ctx context.Context, api API) error {
			_, err := api.UpdatePatron(ctx, id, u)
			return err
		})
	case "block":
		reason := f.Value("reason")
		if reason == "" {
			f.Err = "Give a reason for the block."
			return nil
		}
		m.form = nil
		return m.act(id, "Blocked: "+reason, func(ctx context.Context, api API) error {
			_, err := api.BlockPatron(ctx, id, reason)
			return err
		})
	case "pay", "waive":
		cents, err := format.ParseMoney(f.Value("amount"))
		if err != nil || cents <= 0 {
			f.Err = "Enter an amount such as 2.50."
			return nil
		}
		req := domain.PaymentRequest{AmountCents: cents}
		if m.action == "pay" {
			req.Method = f.Value("method")
			m.form = nil
			return m.act(id, "Payment of "+format.Money(cents)+" taken.", func(ctx context.Context, api API) error {
				_, err := api.Pay(ctx, id, req)
				return err
			})
		}
		req.Reason = f.Value("reason")
		if req.Reason == "" {
			f.Err = "A waiver needs a reason."
			return nil
		}
		m.form = nil
		return m.act(id, "Waived "+format.Money(cents)+": "+req.Reason, func(ctx context.Context, api API) error {
			_, err := api.Waive(ctx, id, req)
			return err
		})
	}
	m.form = nil
	return nil
}

func (m *Model) rows(tab int) int {
	if m.prof == nil {
		return 0
	}
	switch tab {
	case tabLoans:
		return len(m.prof.Loans)
	case tabHolds:
		return len(m.prof.Holds)
	case tabNotices:
		if m.prof.Notices == nil {
			return 0
		}
		return len(m.prof.Notices.Notices)
	}
	if m.prof.Account == nil {
		return 0
	}
	return len(m.prof.Account.Lines)
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Patrons") + "\n\n")
	if m.mode != modeProfile {
		sb.WriteString(m.input.View() + "\n")
	}
	switch {
	case m.flash != "" && m.flashErr:
		sb.WriteString(st.Error.Render(format.Truncate(m.flash, m.w)) + "\n")
	case m.flash != "":
		sb.WriteString(st.OK.Render(format.Truncate(m.flash, m.w)) + "\n")
	case m.mode == modeList && m.term != "":
		sb.WriteString(st.Muted.Render(format.Truncate(matched(len(m.results), m.term), m.w)) + "\n")
	default:
		sb.WriteString("\n")
	}
	switch m.mode {
	case modeList, modeSearch:
		room := max(3, m.h-5)
		start := max(0, min(m.cursor-room+1, len(m.results)-room))
		for i := start; i < len(m.results) && i < start+room; i++ {
			p := m.results[i]
			row := fmt.Sprintf("%s  %s  %s  %s", format.Pad(p.Surname+", "+p.Firstname, 26), format.Pad(p.Cardnumber, 15),
				format.Pad(p.Email, max(10, m.w-56)), p.HomeBranch)
			if p.Blocked {
				row += "  BLOCKED"
			}
			row = format.Pad(row, m.w-2)
			if i == m.cursor && m.mode == modeList {
				row = st.Selected.Render(row)
			}
			sb.WriteString("  " + row + "\n")
		}
	case modeProfile:
		sb.WriteString(m.profileView())
	}
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}

// matched echoes a search that found several patrons.
func matched(n int, term string) string {
	if n >= maxResults {
		return fmt.Sprintf("The first %d patrons matching %q; add to the search to narrow it.", n, term)
	}
	return fmt.Sprintf("%d patrons match %q.", n, term)
}

func (m *Model) profileView() string {
	st := m.s.Styles
	s, p := m.prof.Status, m.prof.Status.Patron
	var sb strings.Builder
	sb.WriteString(st.Title.Render(p.Name()) + st.Muted.Render(fmt.Sprintf("  card %s · %s · home %s", p.Cardnumber, p.Category, p.HomeBranch)) + "\n")
	field := func(label, v string) string {
		if v == "" {
			v = st.Muted.Render("—") // not given: a blank after a label reads as a fault
		}
		return st.Label.Render(label+" ") + v
	}
	sb.WriteString(field("Email", p.Email) + "   " + field("Phone", p.Phone) + "\n")
	sb.WriteString(field("Address", p.Address) + "   " + field("Born", p.DateOfBirth) + "\n")
	exp := p.ExpiryDate
	if s.Expired {
		exp = st.Error.Render(exp + " (expired)")
	}
	sb.WriteString(field("Card expires", exp) + "   " + field("Registered", format.Date(p.RegisteredAt)) + "\n")
	switch {
	case p.Blocked:
		sb.WriteString(st.Error.Render(format.Truncate("BLOCKED: "+p.BlockReason, m.w)) + "\n")
	case len(s.Blocks) > 0:
		sb.WriteString(st.Warn.Render(format.Truncate("May not borrow: "+strings.Join(s.Blocks, " "), m.w)) + "\n")
	default:
		sb.WriteString(st.OK.Render("May borrow") + "\n")
	}
	nNotices := 0
	if m.prof.Notices != nil {
		nNotices = len(m.prof.Notices.Notices)
		for _, f := range m.prof.Notices.ContactFlags {
			sb.WriteString(st.Warn.Render(format.Truncate(fmt.Sprintf("CHECK CONTACT: %s %s failed (%s)", f.Channel, f.Address, f.Reason), m.w)) + "\n")
		}
	}
	tabs := []string{fmt.Sprintf("Loans (%d)", len(m.prof.Loans)), fmt.Sprintf("Holds (%d)", len(m.prof.Holds)),
		"Fees (owes " + format.Money(s.BalanceCents) + ")", fmt.Sprintf("Notices (%d)", nNotices)}
	for i, t := range tabs {
		if i == m.tab {
			tabs[i] = st.ActiveTab.Render(t)
		} else {
			tabs[i] = st.Tab.Render(t)
		}
	}
	sb.WriteString("\n" + strings.Join(tabs, "   ") + "\n")
	var rows []string
	tw := max(12, m.w-50)
	switch m.tab {
	case tabLoans:
		for _, l := range m.prof.Loans {
			code := l.Barcode
			if l.Digital {
				code = "(digital)"
			}
			r := fmt.Sprintf("%s  %s  due %s  ren %d", format.Pad(code, 14), format.Pad(l.Title, tw), l.DueDate, l.Renewals)
			if l.Overdue {
				r += "  OVERDUE"
			}
			rows = append(rows, r)
		}
	case tabHolds:
		for _, h := range m.prof.Holds {
			r := fmt.Sprintf("%s  %s  pickup %s", format.Pad(h.Title, tw), format.Pad(h.Status, 10), h.PickupBranch)
			if h.ShelfExpires != "" {
				r += "  until " + format.Date(h.ShelfExpires)
			}
			rows = append(rows, r)
		}
	case tabNotices:
		if m.prof.Notices != nil {
			for _, n := range m.prof.Notices.Notices {
				r := fmt.Sprintf("%s  %s  %s  %s", format.Date(n.ClaimedAt), format.Pad(n.Kind, 14), format.Pad(n.Channel, 5), format.Pad(n.Status, 8))
				switch {
				case n.OpenedAt != "":
					r += "  opened"
				case n.Reason != "":
					r += "  " + format.Truncate(n.Reason, max(10, m.w-50))
				}
				rows = append(rows, r)
			}
		}
	case tabFees:
		if m.prof.Account != nil {
			for _, l := range m.prof.Account.Lines {
				rows = append(rows, fmt.Sprintf("%s  %s  %8s  %8s  %s", format.Date(l.CreatedAt), format.Pad(l.Kind, 10),
					format.Money(l.AmountCents), format.Money(l.Outstanding), format.Truncate(l.Description, max(10, m.w-50))))
			}
		}
	}
	if len(rows) == 0 {
		return sb.String() + "  " + st.Muted.Render("none") + "\n"
	}
	room := max(2, m.h-strings.Count(sb.String(), "\n")-5)
	cur := m.row[m.tab]
	start := max(0, min(cur-room+1, len(rows)-room))
	for i := start; i < len(rows) && i < start+room; i++ {
		r := format.Pad(rows[i], m.w-2)
		if i == cur && m.rows(m.tab) > 0 {
			r = st.Selected.Render(r)
		}
		sb.WriteString("  " + r + "\n")
	}
	return sb.String()
}
