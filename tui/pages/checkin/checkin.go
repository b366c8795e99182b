// Package checkin is the Checkin screen: scan items back in one after
// another; a hold trap or a transit pops up a slip saying what to do with
// the item, and fines raised at checkin are shown. The appliance prints
// the slip too when it has a receipt printer (the slip says which); ^P
// prints a return receipt for the patron of the last item returned.
package checkin

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/apitype"
	"stacks/node/client"
	"stacks/tui/components/modal"
	"stacks/tui/components/scanner"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	Checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error)
	Printers(ctx context.Context) ([]apitype.Printer, error)
	PrintReceipt(ctx context.Context, patronID string, req apitype.ReceiptRequest) (*apitype.PrintJob, error)
}

var printKey = key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("^P", "print return receipt"))

// PrintersMsg is the appliance's printers (an error: it has none).
type PrintersMsg struct {
	Printers []apitype.Printer
	Err      error
}

// ReceiptQueuedMsg is a return receipt sent to the printer, or why not.
type ReceiptQueuedMsg struct {
	Name string
	Job  *apitype.PrintJob
	Err  error
}

var _ API = (*client.Client)(nil)

// CheckedInMsg is the answer to one scan.
type CheckedInMsg struct {
	Barcode string
	Result  *domain.CheckinResult
	Err     error
}

type line struct {
	barcode string
	res     *domain.CheckinResult
	err     error
}

// Model is the screen.
type Model struct {
	s     *session.Session
	api   API
	scan  *scanner.Model
	lines []line
	slips []string // hold and transit slips not yet dismissed, oldest first
	// printer is the appliance's default printer, "-" when it has none,
	// "" until known.
	printer string
	flash   string
	w, h    int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	sc := scanner.New("Item barcode:")
	sc.PromptStyle, sc.MutedStyle = s.Styles.Label, s.Styles.Muted
	return &Model{s: s, api: api, scan: sc, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Checkin" }

// SetSize is the space the screen may draw in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Init asks which printer the appliance prints slips on.
func (m *Model) Init() tea.Cmd {
	api := m.api
	return func() tea.Msg {
		ps, err := api.Printers(context.Background())
		return PrintersMsg{Printers: ps, Err: err}
	}
}

// Help is the screen's keys.
func (m *Model) Help() []key.Binding {
	scan := key.NewBinding(key.WithKeys("enter"), key.WithHelp("scan", "item"))
	if len(m.slips) > 0 {
		return []key.Binding{scan, m.s.Keys.Dismiss, printKey}
	}
	return []key.Binding{scan, printKey}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case PrintersMsg:
		m.printer = "-"
		if msg.Err == nil && len(msg.Printers) > 0 {
			m.printer = msg.Printers[0].Name
		}
	case ReceiptQueuedMsg:
		if msg.Err != nil {
			m.flash = "Return receipt not printed: " + format.Err(msg.Err)
		} else {
			m.flash = fmt.Sprintf("Return receipt of %s sent to printer %s (job %d).", msg.Name, msg.Job.Printer, msg.Job.ID)
		}
	case tea.KeyMsg:
		if key.Matches(msg, printKey) {
			return m.printReceipt()
		}
		if len(m.slips) > 0 {
			switch {
			case key.Matches(msg, m.s.Keys.Dismiss), msg.Type == tea.KeyEnter && !m.scan.Typing():
				m.slips = m.slips[1:]
				return nil
			case msg.Type == tea.KeyEnter:
				// The next item, scanned over the slip: take it, and
				// the slip has been read.
				m.slips = m.slips[1:]
			}
		}
		if m.scan.Update(msg) {
			return m.pump()
		}
	case CheckedInMsg:
		m.scan.Done()
		m.lines = append(m.lines, line{barcode: msg.Barcode, res: msg.Result, err: msg.Err})
		if msg.Err == nil {
			if s := m.slip(msg.Result); s != "" {
				m.slips = append(m.slips, s)
			}
		}
		return m.pump()
	}
	return nil
}

// printReceipt prints the return receipt of the patron of the last item
// returned (their returns here today).
func (m *Model) printReceipt() tea.Cmd {
	var p *domain.Patron
	for i := len(m.lines) - 1; i >= 0 && p == nil; i-- {
		if m.lines[i].res != nil {
			p = m.lines[i].res.Patron
		}
	}
	if p == nil {
		m.flash = "No return of a patron's loan to print a receipt for."
		return nil
	}
	api, id, name := m.api, p.PatronID, p.Name()
	return func() tea.Msg {
		j, err := api.PrintReceipt(context.Background(), id, apitype.ReceiptRequest{Kind: apitype.ReceiptCheckin})
		return ReceiptQueuedMsg{Name: name, Job: j, Err: err}
	}
}

func (m *Model) pump() tea.Cmd {
	s, ok := m.scan.Next()
	if !ok {
		return nil
	}
	api := m.api
	return func() tea.Msg {
		res, err := api.Checkin(context.Background(), domain.CheckinRequest{Barcode: s})
		return CheckedInMsg{Barcode: s, Result: res, Err: err}
	}
}

// todo says what to do with a checked-in item, in a few words.
func (m *Model) todo(r *domain.CheckinResult) string {
	switch r.Action {
	case "hold_shelf":
		return "HOLD SHELF for " + holdName(r)
	case "transit":
		if r.Hold != nil {
			return "SEND TO " + r.TransitTo + " for a hold (" + holdName(r) + ")"
		}
		return "SEND TO " + r.TransitTo + " (home branch)"
	}
	return "shelve"
}

func holdName(r *domain.CheckinResult) string {
	if r.HoldPatron == nil {
		return "a patron"
	}
	return r.HoldPatron.Name() + ", card " + r.HoldPatron.Cardnumber
}

// slip is the text of the slip to put in a trapped or transiting item.
func (m *Model) slip(r *domain.CheckinResult) string {
	var sb strings.Builder
	title := ""
	if r.Item != nil {
		title = r.Item.Title
	}
	var rows [][2]string // label, value: aligned below the heading
	switch r.Action {
	case "hold_shelf":
		sb.WriteString("HOLD — put on the hold shelf\n")
		rows = append(rows, [2]string{"For:", holdName(r)})
		if r.Hold != nil && r.Hold.ShelfExpires != "" {
			rows = append(rows, [2]string{"Until:", format.Date(r.Hold.ShelfExpires)})
		}
	case "transit":
		fmt.Fprintf(&sb, "TRANSIT — send to %s\n", r.TransitTo)
		if r.Hold != nil {
			rows = append(rows, [2]string{"Hold for:", holdName(r)}, [2]string{"Pickup:", r.Hold.PickupBranch})
		} else {
			sb.WriteString("Returning to its home branch.\n")
		}
	default:
		return ""
	}
	rows = append(rows, [2]string{"Item:", r.Item.Barcode + "  " + format.Truncate(title, 40)})
	lw := 0
	for _, row := range rows {
		lw = max(lw, len(row[0]))
	}
	for _, row := range rows {
		fmt.Fprintf(&sb, "%-*s %s\n", lw+1, row[0], row[1])
	}
	fmt.Fprintf(&sb, "Slip of %s", m.s.Now().Format("2006-01-02 15:04"))
	return sb.String()
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Checkin") + st.Muted.Render(" · scan items; each says where it goes next") + "\n\n")
	sb.WriteString(m.scan.View() + "\n\n")
	if m.flash != "" {
		sb.WriteString(format.Truncate(m.flash, m.w) + "\n")
	}
	// A slip pops up between the scan field and the list, so the newest
	// lines (and the fine of the item just returned) stay in sight.
	if len(m.slips) > 0 {
		body := m.slips[0]
		switch m.printer {
		case "":
			body += "."
		case "-":
			body += " (on screen only: no receipt printer here)."
		default:
			body += " (printed on " + m.printer + " too)."
		}
		if n := len(m.slips) - 1; n > 0 {
			body += fmt.Sprintf("\n(%d more slip(s) waiting)", n)
		}
		body += "\n" + st.Muted.Render("esc done · keep scanning")
		sb.WriteString(modal.Box(st.Modal, body, m.w-2) + "\n")
	}
	room := m.h - strings.Count(sb.String(), "\n") - 1
	var rows []string
	for i, l := range m.lines {
		rows = append(rows, m.lineView(i, l)...)
	}
	if len(rows) > room && room > 0 {
		rows = rows[len(rows)-room:]
	}
	sb.WriteString(strings.Join(rows, "\n"))
	return sb.String()
}

func (m *Model) lineView(i int, l line) []string {
	st := m.s.Styles
	head := fmt.Sprintf("%2d  %s  ", i+1, format.Pad(l.barcode, 14))
	if l.err != nil {
		return []string{head + st.Error.Render(format.Truncate("✗ "+format.Err(l.err), m.w-len([]rune(head))))}
	}
	r := l.res
	title := ""
	if r.Item != nil {
		title = r.Item.Title
	}
	tw := max(10, (m.w-len([]rune(head)))/2)
	todo := m.todo(r)
	ts := st.OK
	if r.Action != "shelve" {
		ts = st.Warn
	}
	rows := []string{head + format.Pad(title, tw) + "  " + ts.Render(format.Truncate(todo, m.w-len([]rune(head))-tw-2))}
	var notes []string
	if r.Patron != nil {
		notes = append(notes, "from "+r.Patron.Name())
	}
	if r.FineCents > 0 {
		notes = append(notes, st.Error.Render(fmt.Sprintf("fine %s (%d days late)", format.Money(r.FineCents), r.DaysLate)))
	}
	if r.Found {
		notes = append(notes, "was lost: found")
	}
	if r.Item != nil && r.Item.Properties != "" {
		notes = append(notes, st.Warn.Render("check every part: "+r.Item.Properties))
	}
	if len(notes) > 0 {
		rows = append(rows, "      "+strings.Join(notes, " · "))
	}
	return rows
}
