package notify

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
)

// view is what a template sees of a message: its facts formatted for the
// language, and its links.
type view struct {
	Lang     string
	Kind     string
	Subject  string // in the layout: the rendered subject
	Library  string // the library's name (branding)
	Primary  string // colours (branding)
	Accent   string
	Name     string // the patron, as addressed
	Card     string
	Branch   string
	Date     string // the main date, as the language writes it
	Month    string // the main date's month and year
	Amount   string // what is owed, as money in the language's form
	Title    string // the first title
	Others   int    // how many titles after the first
	Lines    []lineView
	Parts    []partView // a digest's notices
	InDigest bool       // rendering a part of a digest (no greeting)
	Links    links
	// Body is the kind's HTML inside the layout.
	Body htmltemplate.HTML
	// SMSLines and SMSMore are the titles an SMS names and how many more
	// it leaves out (when shortened).
	SMSLines []string
	SMSMore  int
	// Event is the event of an event notice (empty for other kinds).
	Event eventView
}

// eventView is an event notice's event and registration, written for the
// language.
type eventView struct {
	Title  string
	Date   string // the day it starts, as the language writes it
	Time   string // the time it starts ("17:00", "17.00")
	Room   string
	Ticket string // the ticket code; empty when there is no seat
	Seats  int
}

type lineView struct {
	Title, Author, Barcode string
	DueDate, PickupBy      string
	Branch                 string
	Amount                 string
	Link                   string // the title's page (a tracked link in email)
}

type partView struct {
	Kind    string
	Subject string
	Text    string
	HTML    htmltemplate.HTML
}

// links are the URLs a message carries; tracked through /n/c/ in email.
type links struct {
	Account     string
	Prefs       string // the one-click preferences page of the notice
	Unsubscribe string // the same page (empty when the kind cannot be turned off)
	Pixel       string // the open pixel (email only)
	Tickets     string // the patron's tickets page (/account/events), with the QR codes
	Logo        string
}

// formatter writes dates and money for a language.
type formatter struct {
	lang     string
	currency string
}

var monthsFI = []string{"tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu",
	"elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu"}

// Date writes a YYYY-MM-DD date as the language does ("2 Jan 2006",
// "2.1.2006"); anything else is shown as it is.
func (f formatter) Date(d string) string {
	t, ok := parseDay(d)
	if !ok {
		return d
	}
	if f.lang == "fi" {
		return fmt.Sprintf("%d.%d.%d", t.Day(), int(t.Month()), t.Year())
	}
	return t.Format("2 Jan 2006")
}

// Clock writes the time of day as the language does ("17:05", "17.05"):
// the wall clock of t's own zone, the library's.
func (f formatter) Clock(t time.Time) string {
	if f.lang == "fi" {
		return t.Format("15.04")
	}
	return t.Format("15:04")
}

// Month writes a date's month and year ("January 2006", "tammikuu 2006").
func (f formatter) Month(d string) string {
	t, ok := parseDay(d)
	if !ok {
		return d
	}
	if f.lang == "fi" {
		return fmt.Sprintf("%s %d", monthsFI[t.Month()-1], t.Year())
	}
	return t.Format("January 2006")
}

func parseDay(d string) (time.Time, bool) {
	if len(d) >= 10 {
		d = d[:10]
	}
	t, err := time.Parse(domain.DateLayout, d)
	return t, err == nil
}

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

// Money writes cents as the language does ("$12.50", "12,50 €").
func (f formatter) Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	s := domain.Money(cents)
	sym, known := currencySymbols[f.currency]
	if !known {
		sym = f.currency
	}
	if f.lang == "fi" {
		return sign + strings.Replace(s, ".", ",", 1) + "\u00a0" + sym
	}
	if !known {
		return sign + s + "\u00a0" + sym
	}
	return sign + sym + s
}

// newView is m's view in lang (already resolved to a language the
// templates have).
func (n *Notifier) newView(m notices.Message, lang string, track func(string) string) *view {
	f := formatter{lang: lang, currency: n.cfg.Currency}
	v := &view{Lang: lang, Kind: m.Kind, Library: n.brand.Name, Primary: n.brand.Primary, Accent: n.brand.Accent,
		Name: m.Patron.Name, Card: m.Patron.CardNumber, Branch: m.BranchName, Date: f.Date(m.Date), Month: f.Month(m.Date)}
	if m.Amount != 0 {
		v.Amount = f.Money(m.Amount)
	}
	if v.Name == "" {
		v.Name = map[string]string{"fi": "asiakas"}[lang]
		if v.Name == "" {
			v.Name = "reader"
		}
	}
	for _, l := range m.Lines {
		lv := lineView{Title: l.Title, Author: l.Author, Barcode: l.Barcode, DueDate: f.Date(l.DueDate),
			PickupBy: f.Date(l.PickupBy), Branch: l.Branch}
		if l.Amount != 0 {
			lv.Amount = f.Money(l.Amount)
		}
		if l.BiblioID != "" {
			lv.Link = track(n.publicURL + "/titles/" + l.BiblioID)
		}
		v.Lines = append(v.Lines, lv)
		v.SMSLines = append(v.SMSLines, l.Title)
	}
	if len(m.Lines) > 0 {
		v.Title, v.Others = m.Lines[0].Title, len(m.Lines)-1
	}
	if ev := m.Event; ev != nil {
		v.Event = eventView{Title: ev.Title, Room: ev.Room, Ticket: ev.Ticket, Seats: ev.Seats}
		if t, err := time.Parse(time.RFC3339, ev.Start); err == nil {
			v.Event.Date, v.Event.Time = f.Date(t.Format(domain.DateLayout)), f.Clock(t)
		}
		v.Links.Tickets = track(n.publicURL + "/account/events")
	}
	v.Links.Account = track(n.publicURL + "/account")
	v.Links.Logo = n.publicURL + "/static/logo"
	return v
}

// rendered is a message written out.
type rendered struct {
	Subject, Text, HTML string
	body                string // the kind's HTML without the layout
	lang, name          string
}

// fullView is m's view in its language (the first one when the templates
// lack it) with the links l, a digest's parts rendered; track turns a link
// into the one the message carries (a tracked redirect in email; nil
// leaves links as they are).
func (n *Notifier) fullView(m notices.Message, l links, track func(string) string) (*view, templateSet, error) {
	if track == nil {
		track = func(u string) string { return u }
	}
	set, lang := n.tmpl.set(m.Language)
	v := n.newView(m, lang, track)
	v.Links = mergeLinks(v.Links, l)
	if m.Kind != notices.KindDigest {
		return v, set, nil
	}
	for _, p := range m.Parts {
		pv := n.newView(p, lang, track)
		tickets := pv.Links.Tickets
		pv.Links = v.Links
		pv.Links.Tickets = tickets
		pv.InDigest = true
		pr := partView{Kind: p.Kind}
		var err error
		if pr.Subject, err = set.execText(p.Kind+".subject", pv); err != nil {
			return nil, set, err
		}
		pr.Subject = oneLine(pr.Subject)
		if pr.Text, err = set.execText(p.Kind+".text", pv); err != nil {
			return nil, set, err
		}
		h, err := set.execHTML(p.Kind+".html", pv)
		if err != nil {
			return nil, set, err
		}
		pr.HTML = htmltemplate.HTML(h) // rendered by html/template: escaped already
		v.Parts = append(v.Parts, pr)
	}
	return v, set, nil
}

// render writes m out: subject, text (with the footer) and HTML (in the
// layout).
func (n *Notifier) render(m notices.Message, l links, track func(string) string) (rendered, error) {
	v, set, err := n.fullView(m, l, track)
	if err != nil {
		return rendered{}, err
	}
	var r rendered
	if r.Subject, err = set.execText(m.Kind+".subject", v); err != nil {
		return r, err
	}
	r.Subject = oneLine(r.Subject)
	body, err := set.execText(m.Kind+".text", v)
	if err != nil {
		return r, err
	}
	footer, err := set.execText("footer.text", v)
	if err != nil {
		return r, err
	}
	r.Text = strings.TrimSpace(body) + "\n" + footer
	h, err := set.execHTML(m.Kind+".html", v)
	if err != nil {
		return r, err
	}
	v.Body = htmltemplate.HTML(h) // rendered by html/template: escaped already
	v.Subject = r.Subject
	if r.HTML, err = set.execHTML("layout", v); err != nil {
		return r, err
	}
	r.body = h
	r.lang = v.Lang
	r.name = v.Name
	return r, nil
}

func mergeLinks(a, b links) links {
	if b.Account != "" {
		a.Account = b.Account
	}
	if b.Prefs != "" {
		a.Prefs = b.Prefs
	}
	a.Unsubscribe, a.Pixel = b.Unsubscribe, b.Pixel
	if a.Prefs == "" {
		a.Prefs = a.Account
	}
	return a
}

// Rendered is a notice written out in its language: what an email's
// subject and parts and an SMS say (links untracked).
type Rendered struct {
	Subject, Text, HTML, SMS string
}

// Render writes m out as each channel would, without sending it (for
// staff to see a notice, and for tests).
func (n *Notifier) Render(m notices.Message) (Rendered, error) {
	r, err := n.render(m, links{Prefs: n.publicURL + "/account/preferences"}, nil)
	if err != nil {
		return Rendered{}, err
	}
	sms, err := n.smsText(m)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: r.Subject, Text: r.Text, HTML: r.HTML, SMS: sms}, nil
}

// oneLine collapses runs of ASCII white space (line breaks of a template)
// into single spaces, keeping no-break spaces.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	}), " ")
}
