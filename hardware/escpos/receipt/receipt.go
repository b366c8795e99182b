// Package receipt lays out what the library prints on a receipt printer:
// checkout, checkin and payment receipts, hold and transit slips, the
// self-registration welcome, event tickets and handoff codes. Each
// printout takes plain values and gives ESC/POS bytes, in English or
// Finnish (the patron's language where known). It links no cgo.
package receipt

import (
	"embed"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"stacks/branch/domain"
	"stacks/hardware/escpos"
)

//go:embed locales/*.json
var locales embed.FS

// Languages are the languages a printout can be in; the first is the
// default.
var Languages = []string{"en", "fi"}

// Width is the columns of font A on 80 mm paper.
const Width = 42

// Printouts makes printouts in one code page.
type Printouts struct {
	cp    escpos.CodePage
	width int
	texts map[string]map[string]string
}

// New returns the printouts for cp, loading their texts.
func New(cp escpos.CodePage) (*Printouts, error) {
	p := &Printouts{cp: cp, width: Width, texts: map[string]map[string]string{}}
	for _, l := range Languages {
		m, err := domain.LoadTexts(locales, "locales", l)
		if err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
		p.texts[l] = m
	}
	return p, nil
}

// Header is the top of every printout.
type Header struct {
	Library string // the library's name
	Branch  string // the branch's name
	// Lang is "en" or "fi"; anything else is English.
	Lang string
	// Printed is when, in the branch's time zone.
	Printed time.Time
}

// Loan is one loan on a checkout receipt.
type Loan struct {
	Title, Barcode string
	Due            time.Time
	// Parts is the item's parts ("2 discs, booklet"), if it has several:
	// the receipt asks the patron to check every part.
	Parts string
}

// Checkout is a checkout receipt: the patron's loans of the session.
type Checkout struct {
	Header
	Patron string // a label of the patron (see PatronLabel)
	Loans  []Loan
}

// Returned is one item on a checkin receipt.
type Returned struct {
	Title, Barcode string
	FineCents      int64
}

// Checkin is a return receipt.
type Checkin struct {
	Header
	Patron   string
	Items    []Returned
	Currency string
}

// Payment is a payment receipt.
type Payment struct {
	Header
	Patron       string
	AmountCents  int64
	BalanceCents int64
	Currency     string
	Method       string
}

// HoldSlip goes into an item trapped for a hold.
type HoldSlip struct {
	Header
	Patron       string // as the library's privacy setting allows (PatronLabel)
	Title        string
	Barcode      string
	CallNumber   string
	PickupBranch string
	PickupBy     time.Time // zero when not known yet (the item is in transit)
}

// TransitSlip goes into an item sent to another branch.
type TransitSlip struct {
	Header
	Title, Barcode string
	To, From       string
	Hold           bool // the item travels to fill a hold
}

// Welcome is the self-registration welcome with the new card's barcode.
type Welcome struct {
	Header
	Name string
	Card string
}

// Ticket is an event ticket (events: plain values).
type Ticket struct {
	Header
	Event string
	Where string
	When  time.Time
	Seats int
	Code  string // the ticket's code, printed and in the QR code
	QR    string // what the QR code carries (a URL or the code)
}

// Handoff is a handoff code that carries a session to another channel.
type Handoff struct {
	Header
	Code    string
	QR      string // the URL the QR code carries
	Expires time.Time
}

// Checkout lays out a checkout receipt.
func (p *Printouts) Checkout(c Checkout) ([]byte, error) {
	e, t := p.start(c.Header, "checkout.title")
	p.patron(e, t, c.Patron)
	if len(c.Loans) == 0 {
		e.Line(t("checkout.none"))
	}
	for _, l := range c.Loans {
		e.Bold(true).Line(p.fit(l.Title)).Bold(false)
		e.Line(p.cols(l.Barcode, t("checkout.due")+" "+p.date(c.Lang, l.Due)))
		if l.Parts != "" {
			e.Line(p.fit(fmt.Sprintf(t("checkout.parts"), l.Parts)))
		}
		e.Feed(1)
	}
	e.Line(fmt.Sprintf(t("checkout.count"), len(c.Loans)))
	return p.end(e, c.Header, t)
}

// Checkin lays out a return receipt.
func (p *Printouts) Checkin(c Checkin) ([]byte, error) {
	e, t := p.start(c.Header, "checkin.title")
	p.patron(e, t, c.Patron)
	for _, it := range c.Items {
		e.Bold(true).Line(p.fit(it.Title)).Bold(false)
		e.Line(p.cols(it.Barcode, t("checkin.returned")))
		if it.FineCents > 0 {
			e.Line(p.cols(t("checkin.fine"), money(c.Lang, it.FineCents, c.Currency)))
		}
		e.Feed(1)
	}
	e.Line(fmt.Sprintf(t("checkin.count"), len(c.Items)))
	return p.end(e, c.Header, t)
}

// Payment lays out a payment receipt.
func (p *Printouts) Payment(c Payment) ([]byte, error) {
	e, t := p.start(c.Header, "payment.title")
	p.patron(e, t, c.Patron)
	e.Bold(true).Line(p.cols(t("payment.paid"), money(c.Lang, c.AmountCents, c.Currency))).Bold(false)
	if c.Method != "" {
		e.Line(p.cols(t("payment.method"), c.Method))
	}
	e.Line(p.cols(t("payment.balance"), money(c.Lang, c.BalanceCents, c.Currency)))
	return p.end(e, c.Header, t)
}

// HoldSlip lays out a hold slip.
func (p *Printouts) HoldSlip(c HoldSlip) ([]byte, error) {
	e, t := p.start(c.Header, "hold.title")
	e.Line(t("hold.for"))
	e.Align(escpos.Center).Size(2, 2).Line(p.fitN(c.Patron, p.width/2)).Size(1, 1).Align(escpos.Left)
	e.Bold(true).Line(p.fit(c.Title)).Bold(false)
	e.Line(p.cols(c.Barcode, c.CallNumber))
	e.Line(p.cols(t("hold.pickup"), c.PickupBranch))
	if !c.PickupBy.IsZero() {
		e.Bold(true).Line(p.cols(t("hold.by"), p.date(c.Lang, c.PickupBy))).Bold(false)
	}
	return p.end(e, c.Header, t)
}

// TransitSlip lays out a transit slip.
func (p *Printouts) TransitSlip(c TransitSlip) ([]byte, error) {
	e, t := p.start(c.Header, "transit.title")
	e.Line(t("transit.to"))
	e.Align(escpos.Center).Size(2, 2).Line(p.fitN(c.To, p.width/2)).Size(1, 1).Align(escpos.Left)
	if c.Hold {
		e.Line(t("hold.title"))
	}
	e.Bold(true).Line(p.fit(c.Title)).Bold(false)
	e.Line(c.Barcode)
	if c.From != "" {
		e.Line(p.cols(t("transit.from"), c.From))
	}
	return p.end(e, c.Header, t)
}

// Welcome lays out the self-registration welcome with the card's barcode.
func (p *Printouts) Welcome(c Welcome) ([]byte, error) {
	e, t := p.start(c.Header, "welcome.title")
	if c.Name != "" {
		e.Bold(true).Line(p.fit(c.Name)).Bold(false)
	}
	e.Line(t("welcome.card"))
	e.Align(escpos.Center).Code128(c.Card, 80, 2, escpos.HRIBelow).Text("\n").Align(escpos.Left)
	e.Line(p.wrap(t("welcome.pin")))
	return p.end(e, c.Header, t)
}

// Ticket lays out an event ticket with its QR code.
func (p *Printouts) Ticket(c Ticket) ([]byte, error) {
	e, t := p.start(c.Header, "ticket.title")
	e.Bold(true).Size(1, 2).Line(p.fit(c.Event)).Size(1, 1).Bold(false)
	e.Line(p.cols(t("ticket.when"), p.date(c.Lang, c.When)+" "+c.When.Format("15:04")))
	if c.Where != "" {
		e.Line(p.cols(t("ticket.where"), c.Where))
	}
	if c.Seats > 0 {
		e.Line(p.cols(t("ticket.seats"), fmt.Sprint(c.Seats)))
	}
	qr := c.QR
	if qr == "" {
		qr = c.Code
	}
	e.Align(escpos.Center).QR(qr, 6, escpos.ECMedium).Bold(true).Line(c.Code).Bold(false).Align(escpos.Left)
	e.Line(t("ticket.show"))
	return p.end(e, c.Header, t)
}

// Handoff lays out a handoff code with its QR code.
func (p *Printouts) Handoff(c Handoff) ([]byte, error) {
	e, t := p.start(c.Header, "handoff.title")
	qr := c.QR
	if qr == "" {
		qr = c.Code
	}
	e.Align(escpos.Center).QR(qr, 6, escpos.ECMedium)
	e.Size(2, 2).Line(c.Code).Size(1, 1).Align(escpos.Left)
	if !c.Expires.IsZero() {
		e.Line(p.cols(t("handoff.expires"), p.date(c.Lang, c.Expires)+" "+c.Expires.Format("15:04")))
	}
	e.Line(p.wrap(t("handoff.scan")))
	return p.end(e, c.Header, t)
}

// start initialises the printer and prints the header and the title.
func (p *Printouts) start(h Header, title string) (*escpos.Encoder, func(string) string) {
	lang := h.Lang
	if _, ok := p.texts[lang]; !ok {
		lang = Languages[0]
	}
	texts := p.texts[lang]
	t := func(k string) string {
		if s, ok := texts[k]; ok {
			return s
		}
		return p.texts[Languages[0]][k]
	}
	e := escpos.New(p.cp).Init()
	e.Align(escpos.Center)
	if h.Library != "" {
		e.Bold(true).Size(2, 2).Line(p.fitN(h.Library, p.width/2)).Size(1, 1).Bold(false)
	}
	if h.Branch != "" {
		e.Line(p.fit(h.Branch))
	}
	e.Feed(1).Bold(true).Line(p.fit(t(title))).Bold(false).Align(escpos.Left)
	e.Line(strings.Repeat("-", p.width))
	return e, t
}

func (p *Printouts) patron(e *escpos.Encoder, t func(string) string, label string) {
	if label != "" {
		e.Line(p.cols(t("common.card"), label)).Feed(1)
	}
}

// end prints the footer, feeds and cuts.
func (p *Printouts) end(e *escpos.Encoder, h Header, t func(string) string) ([]byte, error) {
	e.Line(strings.Repeat("-", p.width))
	if !h.Printed.IsZero() {
		e.Line(p.cols(t("common.printed"), p.date(h.Lang, h.Printed)+" "+h.Printed.Format("15:04")))
	}
	e.Align(escpos.Center).Line(t("common.thanks")).Align(escpos.Left)
	e.Feed(3).Cut(false, 0)
	return e.Bytes()
}

// cols puts l at the left and r at the right of one line (or two lines
// when they do not fit).
func (p *Printouts) cols(l, r string) string {
	nl, nr := utf8.RuneCountInString(l), utf8.RuneCountInString(r)
	if nl+nr+1 > p.width {
		return p.fit(l) + "\n" + strings.Repeat(" ", max(0, p.width-nr)) + p.fit(r)
	}
	return l + strings.Repeat(" ", p.width-nl-nr) + r
}

func (p *Printouts) fit(s string) string { return p.fitN(s, p.width) }

// fitN cuts s to n columns, ending in "..." when cut.
func (p *Printouts) fitN(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// wrap breaks s into lines at spaces.
func (p *Printouts) wrap(s string) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > p.width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// date is a day as the language writes it: "Dec 24, 2026", "24.12.2026".
func (p *Printouts) date(lang string, t time.Time) string {
	if lang == "fi" {
		return t.Format("2.1.2006")
	}
	return t.Format("Jan 2, 2006")
}

// money is an amount in a language: "€12.50" or "12,50 €".
func money(lang string, cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	sym := map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}[currency]
	if lang == "fi" {
		if sym == "" {
			sym = currency
		}
		return fmt.Sprintf("%s%d,%02d %s", sign, cents/100, cents%100, sym)
	}
	if sym == "" {
		return fmt.Sprintf("%s%s %d.%02d", sign, currency, cents/100, cents%100)
	}
	return fmt.Sprintf("%s%s%d.%02d", sign, sym, cents/100, cents%100)
}

// NameMode is how much of a patron's name a slip shows (the library's
// privacy setting).
type NameMode string

// Name modes.
const (
	// NameInitials: initials and the card's last four digits (default).
	NameInitials NameMode = "initials"
	// NameFull: the full name and the card's last four digits.
	NameFull NameMode = "full"
	// NameCard: the card's last four digits only.
	NameCard NameMode = "card"
)

// ParseNameMode reads a name mode; "" is NameInitials.
func ParseNameMode(s string) (NameMode, error) {
	switch m := NameMode(s); m {
	case "":
		return NameInitials, nil
	case NameInitials, NameFull, NameCard:
		return m, nil
	}
	return "", fmt.Errorf("receipt: name mode %q: want initials, full or card", s)
}

// PatronLabel is how a slip names a patron under mode: "J.S. *1234",
// "Jane Smith *1234" or "*1234".
func PatronLabel(first, surname, card string, mode NameMode) string {
	tail := card
	if r := []rune(card); len(r) > 4 {
		tail = string(r[len(r)-4:])
	}
	tail = "*" + tail
	switch mode {
	case NameFull:
		return strings.TrimSpace(first+" "+surname) + " " + tail
	case NameCard:
		return tail
	}
	var in string
	for _, n := range []string{first, surname} {
		if r, _ := utf8.DecodeRuneInString(n); n != "" {
			in += strings.ToUpper(string(r)) + "."
		}
	}
	return strings.TrimSpace(in + " " + tail)
}
