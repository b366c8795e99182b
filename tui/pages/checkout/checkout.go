// Package checkout is the Checkout screen: scan a patron's card, see the
// patron's standing, scan items one after another, override refusals (a
// supervisor, with a reason), and finish with a receipt or without.
package checkout

import (
	"context"
	"errors"
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
	PatronByCard(ctx context.Context, card string) (*domain.Patron, error)
	PatronStatus(ctx context.Context, id string) (*domain.PatronStatus, error)
	Checkout(ctx context.Context, req domain.CheckoutRequest) (*apitype.Checkout, error)
	RedeemHandoff(ctx context.Context, code string) (*apitype.HandoffResult, error)
	PrintReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (*apitype.PrintJob, error)
}

var _ API = (*client.Client)(nil)

// PatronLoadedMsg is the patron whose card was scanned, or why not.
type PatronLoadedMsg struct {
	Card   string
	Status *domain.PatronStatus
	Err    error
	// Handoff is set when the card field held a handoff code the patron
	// made on the web or in an app (handoff.go).
	Handoff *apitype.HandoffResult
}

// CheckedOutMsg is the answer to one item scan, or to an override (Line
// >= 0 names the refused line it overrides).
type CheckedOutMsg struct {
	Gen     int
	Barcode string
	Line    int
	Loan    *apitype.Checkout
	Err     error
	// Next is set when the scan was not an item but another patron's
	// card: the session ends and the next begins.
	Next *domain.PatronStatus
}

// line is one item scanned for the patron.
type line struct {
	barcode    string
	title      string
	due        string
	err        error
	overridden []string
	reason     string
	pending    bool
	parts      string // the copy's properties: check every part
}

// Model is the screen.
type Model struct {
	s    *session.Session
	api  API
	scan *scanner.Model

	status *domain.PatronStatus
	lines  []line

	override     *form.Model
	overrideLine int
	receipt      string
	gen          int // counts patron sessions, so a late answer is not misfiled
	flash        string
	flashErr     bool
	w, h         int

	// receiptFor is the patron of the receipt shown (print.go).
	receiptFor string
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	sc := scanner.New("Patron card:")
	sc.PromptStyle, sc.MutedStyle = s.Styles.Label, s.Styles.Muted
	return &Model{s: s, api: api, scan: sc, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Checkout" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init starts nothing.
func (m *Model) Init() tea.Cmd { return nil }

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	k := m.s.Keys
	switch {
	case m.override != nil:
		return []key.Binding{k.Submit, k.Back}
	case m.receipt != "":
		return []key.Binding{k.Print, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "no receipt"))}
	case m.status != nil:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("scan", "item")), k.Override, k.Finish}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("scan", "patron card"))}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return m.key(msg)
	case ReceiptQueuedMsg:
		m.receiptQueued(msg)
		return nil
	case PatronLoadedMsg:
		m.scan.Done()
		if msg.Err != nil {
			m.setFlash(fmt.Sprintf("Card %s: %s", msg.Card, format.Err(msg.Err)), true)
		} else {
			m.status = msg.Status
			m.scan.Prompt = "Item barcode:"
			m.setFlash("", false)
			if msg.Handoff != nil {
				m.applyHandoff(msg.Handoff)
			}
		}
		return m.pump()
	case CheckedOutMsg:
		if msg.Line < 0 {
			m.scan.Done()
		}
		if msg.Gen != m.gen || m.status == nil {
			return m.pump()
		}
		if msg.Line >= 0 && msg.Line < len(m.lines) {
			l := &m.lines[msg.Line]
			l.pending = false
			if msg.Err != nil {
				m.setFlash("Override of "+l.barcode+" refused: "+format.Err(msg.Err), true)
				return nil
			}
			l.err, l.title, l.due, l.overridden, l.parts = nil, msg.Loan.Title, msg.Loan.DueDate, msg.Loan.Overridden, msg.Loan.ItemProperties
			m.status.Loans++
			m.setFlash("Overridden: "+l.barcode+" lent.", false)
			return nil
		}
		if msg.Next != nil {
			m.finish()
			m.status = msg.Next
			m.scan.Prompt = "Item barcode:"
			return m.pump()
		}
		l := line{barcode: msg.Barcode, err: msg.Err}
		if msg.Err == nil {
			l.title, l.due, l.overridden, l.parts = msg.Loan.Title, msg.Loan.DueDate, msg.Loan.Overridden, msg.Loan.ItemProperties
			m.status.Loans++
		}
		m.lines = append(m.lines, l)
		return m.pump()
	}
	return nil
}

func (m *Model) setFlash(s string, isErr bool) { m.flash, m.flashErr = s, isErr }

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	keys := m.s.Keys
	if m.override != nil {
		res, cmd := m.override.Update(k)
		switch res {
		case form.Cancelled:
			m.override = nil
		case form.Submitted:
			reason := m.override.Value("reason")
			if reason == "" {
				m.override.Err = "A reason is required."
				return nil
			}
			m.override = nil
			return m.doOverride(m.overrideLine, reason)
		}
		return cmd
	}
	if m.receipt != "" {
		switch {
		case k.Type == tea.KeyEnter && m.scan.Typing():
			// The next patron's card, scanned over the receipt: keep it.
			m.receipt = ""
			m.scan.Update(k)
			return m.pump()
		case key.Matches(k, keys.Print) && !m.scan.Typing():
			m.receipt = ""
			return m.printReceipt(m.receiptFor)
		case k.Type == tea.KeyEnter, key.Matches(k, keys.Back):
			m.receipt = ""
			return nil
		}
		if m.scan.Update(k) {
			return m.pump()
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Override):
		return m.startOverride()
	case key.Matches(k, keys.Finish):
		if m.status == nil && m.scan.Idle() {
			m.setFlash("", false)
			return nil
		}
		// Finishing takes its turn in the queue: scans typed before Esc
		// belong to this patron, scans typed after it to the next.
		m.scan.Push(finishMarker)
		return m.pump()
	}
	if m.scan.Update(k) {
		return m.pump()
	}
	return nil
}

// finishMarker is queued by Esc; no scanner can type it.
const finishMarker = "\x00finish"

// pump starts the next queued scan if none is in flight.
func (m *Model) pump() tea.Cmd {
	s, ok := m.scan.Next()
	if !ok {
		return nil
	}
	if s == finishMarker {
		m.scan.Done()
		m.finish()
		return m.pump()
	}
	if m.status == nil {
		return m.lookup(s)
	}
	return m.lend(s, nil, -1)
}

func (m *Model) lookup(card string) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		ctx := context.Background()
		p, err := api.PatronByCard(ctx, card)
		if err != nil && domain.LooksLikeHandoff(card) {
			return redeem(ctx, api, card)
		}
		if err != nil {
			return PatronLoadedMsg{Card: card, Err: err}
		}
		st, err := api.PatronStatus(ctx, p.PatronID)
		return PatronLoadedMsg{Card: card, Status: st, Err: err}
	}
}

func (m *Model) lend(barcode string, ov *domain.Override, lineIdx int) tea.Cmd {
	api, gen := m.api, m.gen
	req := domain.CheckoutRequest{PatronID: m.status.Patron.PatronID, Barcode: barcode, Override: ov}
	return func() tea.Msg {
		ctx := context.Background()
		co, err := api.Checkout(ctx, req)
		if lineIdx < 0 && errors.Is(err, domain.ErrItemNotFound) {
			// Not an item: maybe the next patron's card.
			if p, perr := api.PatronByCard(ctx, barcode); perr == nil {
				if st, serr := api.PatronStatus(ctx, p.PatronID); serr == nil {
					return CheckedOutMsg{Gen: gen, Barcode: barcode, Line: lineIdx, Next: st}
				}
			}
		}
		return CheckedOutMsg{Gen: gen, Barcode: barcode, Line: lineIdx, Loan: co, Err: err}
	}
}

// startOverride opens the reason prompt for the latest refusal that may be
// overridden.
func (m *Model) startOverride() tea.Cmd {
	idx := -1
	for i := len(m.lines) - 1; i >= 0; i-- {
		if m.lines[i].err != nil && format.Overridable(m.lines[i].err) && !m.lines[i].pending {
			idx = i
			break
		}
	}
	if idx < 0 {
		m.setFlash("There is no refusal to override.", true)
		return nil
	}
	if !m.s.CanOverride() {
		m.setFlash(m.s.MayNot("override refusals"), true)
		return nil
	}
	l := m.lines[idx]
	m.overrideLine = idx
	m.override = form.New("Override refusal for "+l.barcode, m.s.Styles, m.s.Keys,
		form.Field{Key: "reason", Label: "Reason", Hint: "why the rule is set aside"})
	m.override.Note = format.Err(l.err)
	m.override.SetWidth(min(60, m.w-6))
	return nil
}

func (m *Model) doOverride(idx int, reason string) tea.Cmd {
	m.lines[idx].pending = true
	m.lines[idx].reason = reason
	return m.lend(m.lines[idx].barcode, &domain.Override{Reason: reason}, idx)
}

// finish ends the patron's session and shows the receipt of what was
// lent, if anything was. The receipt stays up while the next patron's
// scans are already processed behind it.
func (m *Model) finish() {
	var lent []line
	for _, l := range m.lines {
		if l.err == nil && !l.pending {
			lent = append(lent, l)
		}
	}
	receipt, patronID := "", ""
	if m.status != nil && len(lent) > 0 {
		receipt = m.receiptText(lent)
		if m.status.Patron != nil {
			patronID = m.status.Patron.PatronID
		}
	}
	m.reset()
	m.receipt, m.receiptFor = receipt, patronID
}

// reset ends the patron's session.
func (m *Model) reset() {
	m.status, m.lines, m.receipt, m.override = nil, nil, "", nil
	m.gen++
	m.scan.Prompt = "Patron card:"
	m.setFlash("", false)
}

func (m *Model) receiptText(lent []line) string {
	var sb strings.Builder
	p := m.status.Patron
	name := m.s.BranchName
	if name == "" {
		name = m.s.Staff.Branch
	}
	fmt.Fprintf(&sb, "%s\n%s  staff %s\n\n", name, m.s.Now().Format("2006-01-02 15:04"), m.s.Staff.Username)
	fmt.Fprintf(&sb, "%s  card %s\n\n", p.Name(), p.Cardnumber)
	for _, l := range lent {
		fmt.Fprintf(&sb, "%s  %s\n   due %s\n", format.Pad(l.barcode, 14), format.Truncate(l.title, 32), l.due)
	}
	fmt.Fprintf(&sb, "\n%d item(s) lent today. Thank you!", len(lent))
	return sb.String()
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(m.patronView())
	sb.WriteString("\n" + m.scan.View() + "\n")
	if m.flash != "" {
		fs := st.OK
		if m.flashErr {
			fs = st.Error
		}
		sb.WriteString(fs.Render(format.Truncate(m.flash, m.w)) + "\n")
	} else {
		sb.WriteString("\n")
	}
	// Lines, newest last, as many as fit.
	room := m.h - strings.Count(sb.String(), "\n") - 1
	var rows []string
	for i, l := range m.lines {
		rows = append(rows, m.lineView(i, l)...)
	}
	if len(rows) > room && room > 0 {
		rows = rows[len(rows)-room:]
	}
	sb.WriteString(strings.Join(rows, "\n"))
	out := sb.String()
	switch {
	case m.override != nil:
		return modal.Overlay(out, modal.Box(st.Modal, m.override.View(), m.w-2), m.w, m.h)
	case m.receipt != "":
		body := st.ModalTitle.Render("Receipt") + "\n\n" + m.receipt + "\n\n" +
			st.Muted.Render("p print · enter no receipt")
		return modal.Overlay(out, modal.Box(st.Modal, body, m.w-2), m.w, m.h)
	}
	return out
}

func (m *Model) patronView() string {
	st := m.s.Styles
	if m.status == nil {
		return st.Title.Render("Checkout") + st.Muted.Render(" · scan or type the patron's card") + "\n\n\n"
	}
	s, p := m.status, m.status.Patron
	var sb strings.Builder
	sb.WriteString(st.Title.Render(p.Name()) + st.Muted.Render(fmt.Sprintf("  card %s · %s · home %s · card expires %s",
		p.Cardnumber, p.Category, p.HomeBranch, p.ExpiryDate)) + "\n")
	fmt.Fprintf(&sb, "Loans %d", s.Loans)
	if s.Overdue > 0 {
		sb.WriteString(st.Warn.Render(fmt.Sprintf(" (%d overdue)", s.Overdue)))
	}
	fmt.Fprintf(&sb, " · Holds ready %d · Waiting %d · Owes %s", s.HoldsReady, s.HoldsWaiting, format.Money(s.BalanceCents))
	if s.MaxFineCents > 0 {
		sb.WriteString(" of " + format.Money(s.MaxFineCents) + " limit")
	}
	sb.WriteString("\n")
	if len(s.Blocks) == 0 {
		sb.WriteString(st.OK.Render("May borrow") + "\n")
	} else {
		sb.WriteString(st.Error.Render(format.Truncate("Blocked: "+strings.Join(s.Blocks, " "), m.w)) + "\n")
	}
	return sb.String()
}

func (m *Model) lineView(i int, l line) []string {
	st := m.s.Styles
	head := fmt.Sprintf("%2d  %s  ", i+1, format.Pad(l.barcode, 14))
	tw := max(10, m.w-len([]rune(head))-16)
	switch {
	case l.pending:
		return []string{head + st.Muted.Render("overriding…")}
	case l.err == nil:
		rows := []string{head + format.Pad(l.title, tw) + "  due " + l.due}
		if len(l.overridden) > 0 {
			rows = append(rows, "      "+st.Warn.Render(format.Truncate("overridden ("+strings.Join(l.overridden, ", ")+"): "+l.reason, m.w-6)))
		}
		if l.parts != "" {
			rows = append(rows, "      "+st.Warn.Render(format.Truncate("check every part: "+l.parts, m.w-6)))
		}
		return rows
	}
	msg := format.Err(l.err)
	rows := []string{head + st.Error.Render(format.Truncate("✗ "+msg, m.w-len([]rune(head))))}
	if format.Overridable(l.err) {
		hint := "a supervisor may override"
		if m.s.CanOverride() {
			hint = "^O to override"
		}
		rows = append(rows, "      "+st.Muted.Render(hint))
	}
	return rows
}
