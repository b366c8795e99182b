// Package catalogue is the Catalogue screen: search titles (grouped works,
// one row each), narrow the search by format and by what is on the shelf
// at this branch (the search's facets, with their counts), see copies and
// availability per branch, and place a hold for a patron.
package catalogue

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/client"
	"stacks/tui/components/form"
	"stacks/tui/components/modal"
	"stacks/tui/components/scanner"
	"stacks/tui/format"
	"stacks/tui/session"
)

// API is what the screen needs of the appliance.
type API interface {
	Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error)
	Availability(ctx context.Context, biblioID string) (*domain.Availability, error)
	PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error)
	AlsoBorrowed(ctx context.Context, biblioID string, limit int) (*domain.Recommendations, error)
}

var _ API = (*client.Client)(nil)

// maxResults is how many titles one search shows.
const maxResults = 100

// ResultsMsg is the search's answer, or why not.
type ResultsMsg struct {
	Query  domain.SearchQuery
	Result *domain.SearchResult
	Err    error
}

// AvailabilityMsg is one title's copies per branch.
type AvailabilityMsg struct {
	BiblioID string
	Avail    *domain.Availability
	Err      error
	// Also is "patrons who borrowed this also borrowed" (nil if it could
	// not be read: it is shown when there is some, never an error).
	Also *domain.Recommendations
}

// HoldPlacedMsg is the answer to placing a hold.
type HoldPlacedMsg struct {
	Card  string
	Title string
	Hold  *domain.Hold
	Err   error
}

// Model is the screen.
type Model struct {
	s        *session.Session
	api      API
	input    *scanner.Model
	term     string
	query    domain.SearchQuery
	result   *domain.SearchResult
	titles   []*domain.Biblio // the first edition of each work
	cursor   int
	avail    map[string]*domain.Availability
	also     map[string]*domain.Recommendations
	inList   bool
	searched bool
	form     *form.Model
	flash    string
	flashErr bool
	w, h     int
}

// New returns the screen; api is the logged-in client.
func New(s *session.Session, api API) *Model {
	in := scanner.New("Search titles:")
	in.PromptStyle, in.MutedStyle = s.Styles.Label, s.Styles.Muted
	return &Model{s: s, api: api, input: in, avail: map[string]*domain.Availability{}, also: map[string]*domain.Recommendations{}, w: 80, h: 20}
}

// Title names the screen.
func (m *Model) Title() string { return "Catalogue" }

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
	case m.inList:
		filters := key.NewBinding(key.WithKeys("f", "a"), key.WithHelp("f/a", "filter"))
		return []key.Binding{k.Up, k.PlaceHold, filters, k.Search}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search")), key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "results"))}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ResultsMsg:
		if msg.Err != nil {
			m.flash, m.flashErr = format.Err(msg.Err), true
			return nil
		}
		m.term, m.query, m.result, m.cursor, m.searched = msg.Query.Q, msg.Query, msg.Result, 0, true
		m.titles = m.titles[:0]
		for _, w := range msg.Result.Works {
			if len(w.Editions) > 0 {
				m.titles = append(m.titles, w.Editions[0])
			}
		}
		m.flash = ""
		if len(m.titles) > 0 {
			m.inList, m.input.Focused = true, false
			return m.loadAvail()
		}
		m.inList, m.input.Focused = false, true
	case AvailabilityMsg:
		if msg.Err == nil {
			m.avail[msg.BiblioID] = msg.Avail
			m.also[msg.BiblioID] = msg.Also
		}
	case HoldPlacedMsg:
		if msg.Err != nil {
			m.flash, m.flashErr = "Hold not placed: "+format.Err(msg.Err), true
			return nil
		}
		m.flash, m.flashErr = fmt.Sprintf("Hold placed on %q for card %s, pickup at %s.", msg.Title, msg.Card, msg.Hold.PickupBranch), false
		delete(m.avail, msg.Hold.BiblioID)
		return m.loadAvail()
	case tea.KeyMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	keys := m.s.Keys
	if m.form != nil {
		res, cmd := m.form.Update(k)
		switch res {
		case form.Cancelled:
			m.form = nil
		case form.Submitted:
			return m.placeHold()
		}
		return cmd
	}
	if !m.inList {
		if key.Matches(k, keys.Down) && len(m.titles) > 0 {
			m.inList, m.input.Focused = true, false
			return m.loadAvail()
		}
		if m.input.Update(k) {
			if s, ok := m.input.Next(); ok {
				m.input.Done()
				return m.search(domain.SearchQuery{Q: s, PerPage: maxResults})
			}
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Search), key.Matches(k, keys.Back):
		m.inList, m.input.Focused = false, true
	case key.Matches(k, keys.Up):
		m.cursor = max(0, m.cursor-1)
		return m.loadAvail()
	case key.Matches(k, keys.Down):
		m.cursor = min(len(m.titles)-1, m.cursor+1)
		return m.loadAvail()
	case key.Matches(k, keys.NextFormat):
		q := m.query
		q.Formats = nextValue(m.result.Facets[domain.FacetFormat], q.Formats)
		return m.search(q)
	case key.Matches(k, keys.AvailableHere):
		q := m.query
		if len(q.AvailableAt) > 0 {
			q.AvailableAt = nil
		} else {
			q.AvailableAt = []string{m.s.Staff.Branch}
		}
		return m.search(q)
	case key.Matches(k, keys.PlaceHold):
		b := m.titles[m.cursor]
		m.form = form.New("Place a hold: "+format.Truncate(b.Title, 40), m.s.Styles, m.s.Keys,
			form.Field{Key: "card", Label: "Patron card", Hint: "scan or type"},
			form.Field{Key: "pickup", Label: "Pickup branch", Value: m.s.Staff.Branch})
		m.form.SetWidth(min(56, m.w-6))
	}
	return nil
}

func (m *Model) search(q domain.SearchQuery) tea.Cmd {
	api := m.api
	return func() tea.Msg {
		res, err := api.Search(context.Background(), q)
		return ResultsMsg{Query: q, Result: res, Err: err}
	}
}

// nextValue is the format filter after cur: the next value the facet
// offers (by count), or none after the last.
func nextValue(facet []domain.FacetValue, cur []string) []string {
	if len(cur) == 0 {
		if len(facet) == 0 {
			return nil
		}
		return []string{facet[0].Value}
	}
	var vals []string
	for _, v := range facet {
		vals = append(vals, v.Value)
	}
	sort.Strings(vals)
	for i, v := range vals {
		if v == cur[0] && i+1 < len(vals) {
			return []string{vals[i+1]}
		}
	}
	return nil
}

// loadAvail reads the selected title's availability unless it is known.
func (m *Model) loadAvail() tea.Cmd {
	if len(m.titles) == 0 {
		return nil
	}
	id := m.titles[m.cursor].BiblioID
	if _, ok := m.avail[id]; ok {
		return nil
	}
	api := m.api
	return func() tea.Msg {
		a, err := api.Availability(context.Background(), id)
		msg := AvailabilityMsg{BiblioID: id, Avail: a, Err: err}
		if err == nil {
			msg.Also, _ = api.AlsoBorrowed(context.Background(), id, alsoShown)
		}
		return msg
	}
}

func (m *Model) placeHold() tea.Cmd {
	card, pickup := m.form.Value("card"), strings.ToUpper(m.form.Value("pickup"))
	if card == "" {
		m.form.Err = "Scan or type the patron's card."
		return nil
	}
	b := m.titles[m.cursor]
	m.form = nil
	api := m.api
	return func() tea.Msg {
		h, err := api.PlaceHold(context.Background(), domain.HoldRequest{Cardnumber: card, BiblioID: b.BiblioID, PickupBranch: pickup})
		return HoldPlacedMsg{Card: card, Title: b.Title, Hold: h, Err: err}
	}
}

// View draws the screen.
func (m *Model) View() string {
	st := m.s.Styles
	var sb strings.Builder
	sb.WriteString(st.Title.Render("Catalogue") + st.Muted.Render(" · search by title, author, subject, series or ISBN; * for all") + "\n\n")
	sb.WriteString(m.input.View() + "\n")
	switch {
	case m.flash != "" && m.flashErr:
		sb.WriteString(st.Error.Render(format.Truncate(m.flash, m.w)) + "\n")
	case m.flash != "":
		sb.WriteString(st.OK.Render(format.Truncate(m.flash, m.w)) + "\n")
	case m.searched:
		sb.WriteString(st.Muted.Render(format.Truncate(matched(m.result.Total, m.term), m.w)) + "\n")
	default:
		sb.WriteString("\n")
	}
	if m.searched {
		sb.WriteString(format.Truncate(m.facetLine(), m.w) + "\n")
	}
	if len(m.titles) > 0 {
		// Results on top, the selected title's availability below.
		listRoom := max(3, (m.h-4)/2)
		start := max(0, min(m.cursor-listRoom+1, len(m.titles)-listRoom))
		for i := start; i < len(m.titles) && i < start+listRoom; i++ {
			b := m.titles[i]
			author := ""
			if len(b.Authors) > 0 {
				author = b.Authors[0]
			}
			year := ""
			if b.Year > 0 {
				year = fmt.Sprint(b.Year)
			}
			tw := max(12, m.w-2-24-6-12-6)
			formats := b.Format
			if i < len(m.result.Works) {
				formats = strings.Join(m.result.Works[i].Formats, ",")
			}
			row := fmt.Sprintf("%s  %s  %4s  %s", format.Pad(b.Title, tw), format.Pad(author, 24), year, format.Pad(formats, 12))
			row = format.Pad(row, m.w-2)
			if i == m.cursor && m.inList {
				row = st.Selected.Render(row)
			}
			sb.WriteString("  " + row + "\n")
		}
		sb.WriteString("\n" + m.availView())
	}
	out := sb.String()
	if m.form != nil {
		return modal.Overlay(out, modal.Box(st.Modal, m.form.View(), m.w-2), m.w, m.h)
	}
	return out
}

// facetLine shows the format filter and the on-shelf-here filter with the
// counts the search's facets give.
func (m *Model) facetLine() string {
	st := m.s.Styles
	var parts []string
	for _, v := range m.result.Facets[domain.FacetFormat] {
		p := fmt.Sprintf("%s %d", v.Value, v.Count)
		if v.Selected {
			p = st.Title.Render("[" + p + "]")
		}
		parts = append(parts, p)
	}
	if len(m.query.Formats) == 0 {
		parts = append([]string{st.Title.Render("[all]")}, parts...)
	}
	here := m.s.Staff.Branch
	n := 0
	for _, v := range m.result.Facets[domain.FacetAvailableAt] {
		if v.Value == here {
			n = v.Count
		}
	}
	shelf := fmt.Sprintf("on shelf at %s: %d", here, n)
	if len(m.query.AvailableAt) > 0 {
		shelf = st.Title.Render("[" + shelf + "]")
	}
	return st.Label.Render("Format:") + " " + strings.Join(parts, " · ") + "   " + shelf
}

// matched echoes the search: what was searched and how many titles it
// found.
func matched(n int, term string) string {
	switch {
	case n == 0:
		return fmt.Sprintf("No titles match %q.", term)
	case n == 1:
		return fmt.Sprintf("1 title matches %q.", term)
	case n > maxResults:
		return fmt.Sprintf("The first %d of %d titles matching %q; add words to narrow the search.", maxResults, n, term)
	}
	return fmt.Sprintf("%d titles match %q.", n, term)
}

func (m *Model) availView() string {
	st := m.s.Styles
	b := m.titles[m.cursor]
	a, ok := m.avail[b.BiblioID]
	if !ok {
		return st.Muted.Render("Availability: loading…")
	}
	var sb strings.Builder
	if a.LicencesTotal > 0 {
		fmt.Fprintf(&sb, "%s %d of %d licences free", st.Label.Render("Digital:"), a.LicencesFree, a.LicencesTotal)
	} else {
		fmt.Fprintf(&sb, "%s %d of %d copies available", st.Label.Render("Availability:"), a.Available, a.Total)
	}
	fmt.Fprintf(&sb, " · %d hold(s) in queue\n", a.HoldsQueue)
	ids := make([]string, 0, len(a.ByBranch))
	for id := range a.ByBranch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var parts []string
	for _, id := range ids {
		ba := a.ByBranch[id]
		s := fmt.Sprintf("%s %d/%d", id, ba.Available, ba.Total)
		if id == m.s.Staff.Branch {
			s = st.Title.Render(s)
		}
		parts = append(parts, s)
	}
	if len(parts) > 0 {
		sb.WriteString("  " + strings.Join(parts, "   ") + "\n")
	}
	for _, it := range a.Items {
		sb.WriteString(st.Muted.Render(fmt.Sprintf("  %s  %s  %s  %s", format.Pad(it.Barcode, 14), format.Pad(it.Location, 6),
			format.Pad(it.CallNumber, 12), it.Status)) + "\n")
	}
	sb.WriteString(m.alsoView(b.BiblioID))
	return sb.String()
}

// alsoShown is how many "also borrowed" titles the screen lists.
const alsoShown = 5

// alsoView is "patrons who borrowed this also borrowed", one line, or
// nothing when no pair has the support to be shown.
func (m *Model) alsoView(id string) string {
	r := m.also[id]
	if r == nil || len(r.Titles) == 0 {
		return ""
	}
	parts := make([]string, 0, len(r.Titles))
	for _, t := range r.Titles {
		parts = append(parts, fmt.Sprintf("%s (%d)", t.Title, t.Patrons))
	}
	const label = "Also borrowed:"
	return m.s.Styles.Label.Render(label) + " " + format.Truncate(strings.Join(parts, " · "), max(m.w-len(label)-3, 10)) + "\n"
}
