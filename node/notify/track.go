package notify

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"stacks/branch/domain"
)

// Routes mounts the endpoints of the links notices carry on mux:
//
//	GET  /n/o/{token}  the open pixel (a 1x1 GIF): Tracker.Opened
//	GET  /n/c/{token}  a tracked link: Tracker.Clicked, then a redirect to
//	                   the URL the token names (and no other)
//	GET  /n/u/{token}  the one-click preferences page: stop this notice
//	POST /n/u/{token}  stop it (RFC 8058 one-click, or the page's button)
func (n *Notifier) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /n/o/{token}", n.servePixel)
	mux.HandleFunc("GET /n/c/{token}", n.serveClick)
	mux.HandleFunc("GET /n/u/{token}", n.serveUnsubscribePage)
	mux.HandleFunc("POST /n/u/{token}", n.serveUnsubscribe)
}

// Handler is Routes on a mux of its own.
func (n *Notifier) Handler() http.Handler {
	mux := http.NewServeMux()
	n.Routes(mux)
	return mux
}

// pixel is a transparent 1x1 GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// trackTimeout bounds recording an open or a click: the patron's page
// does not wait long on it.
const trackTimeout = 5 * time.Second

func (n *Notifier) servePixel(w http.ResponseWriter, r *http.Request) {
	if c, ok := n.tokens.verify(r.PathValue("token"), purposeOpen); ok && !c.expired(n.cfg.Clock.Now()) {
		if t := n.trackerOf(); t != nil {
			ctx, cancel := context.WithTimeout(r.Context(), trackTimeout)
			if err := t.Opened(ctx, c.Key); err != nil {
				n.lg.Warn("recording an open", "key", c.Key, "err", err)
			}
			cancel()
		}
	}
	// The same image for any token, so a bad one learns nothing.
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(pixel)
}

func (n *Notifier) serveClick(w http.ResponseWriter, r *http.Request) {
	c, ok := n.tokens.verify(r.PathValue("token"), purposeClick)
	var u *url.URL
	if ok {
		var err error
		u, err = url.Parse(c.URL)
		ok = err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	if !ok {
		n.page(w, http.StatusNotFound, "en", pageData{Heading: "link.bad"})
		return
	}
	if c.expired(n.cfg.Clock.Now()) {
		n.expiredPage(w, r, c.Lang)
		return
	}
	if t := n.trackerOf(); t != nil {
		ctx, cancel := context.WithTimeout(r.Context(), trackTimeout)
		if err := t.Clicked(ctx, c.Key, c.URL); err != nil {
			n.lg.Warn("recording a click", "key", c.Key, "err", err)
		}
		cancel()
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (n *Notifier) unsubClaims(w http.ResponseWriter, r *http.Request) (claims, bool) {
	c, ok := n.tokens.verify(r.PathValue("token"), purposeUnsub)
	if !ok || c.Patron == "" || len(c.Notices) == 0 {
		n.page(w, http.StatusNotFound, "en", pageData{Heading: "link.bad"})
		return c, false
	}
	if c.expired(n.cfg.Clock.Now()) {
		n.expiredPage(w, r, c.Lang)
		return c, false
	}
	return c, true
}

func (n *Notifier) serveUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	c, ok := n.unsubClaims(w, r)
	if !ok {
		return
	}
	n.page(w, http.StatusOK, c.Lang, pageData{Heading: "unsub.heading", Notices: c.Notices, Form: true,
		Action: r.URL.Path, Prefs: n.publicURL + "/account/preferences"})
}

// serveUnsubscribe turns the token's notices off in the patron's
// messaging preferences: an op on channel email, as the patron.
func (n *Notifier) serveUnsubscribe(w http.ResponseWriter, r *http.Request) {
	c, ok := n.unsubClaims(w, r)
	if !ok {
		return
	}
	oneClick := r.PostFormValue("List-Unsubscribe") == "One-Click"
	if n.cfg.Prefs == nil {
		n.page(w, http.StatusServiceUnavailable, c.Lang, pageData{Heading: "unsub.failed", Prefs: n.publicURL + "/account/preferences"})
		return
	}
	ctx := domain.WithActor(r.Context(), domain.Actor{ID: "patron:" + c.Patron, Role: domain.RolePatron, Channel: domain.ChannelEmail})
	err := n.unsubscribe(ctx, c.Patron, c.Notices)
	if err != nil {
		n.lg.Warn("unsubscribe", "patron", c.Patron, "notices", c.Notices, "err", err)
		n.page(w, http.StatusInternalServerError, c.Lang, pageData{Heading: "unsub.failed", Prefs: n.publicURL + "/account/preferences"})
		return
	}
	n.lg.Info("notices turned off from an email link", "patron", c.Patron, "notices", c.Notices, "one_click", oneClick)
	n.page(w, http.StatusOK, c.Lang, pageData{Heading: "unsub.done", Notices: c.Notices, Prefs: n.publicURL + "/account/preferences"})
}

func (n *Notifier) unsubscribe(ctx context.Context, patronID string, off []string) error {
	p, err := n.cfg.Prefs.Messaging(ctx, patronID)
	if err != nil {
		return err
	}
	keep := []string{}
	for _, x := range p.Notices {
		if !slices.Contains(off, x) {
			keep = append(keep, x)
		}
	}
	if len(keep) == len(p.Notices) {
		return nil // off already
	}
	p.Notices = keep
	_, err = n.cfg.Prefs.SetMessaging(ctx, patronID, p)
	return err
}

// expiredPage answers a link past its Config.LinkTTL: 410 Gone, in the
// patron's language (the token's, else the browser's), with the way to
// their preferences.
func (n *Notifier) expiredPage(w http.ResponseWriter, r *http.Request, lang string) {
	if lang == "" {
		lang = "en"
		if al := r.Header.Get("Accept-Language"); len(al) >= 2 && al[:2] == "fi" {
			lang = "fi"
		}
	}
	n.page(w, http.StatusGone, lang, pageData{Heading: "link.expired", Prefs: n.publicURL + "/account/preferences"})
}

// pageText is the pages' text in each language.
var pageText = map[string]map[string]string{
	"en": {
		"title":          "Library notices",
		"link.bad":       "This link is not valid. It may have been cut short when it was copied.",
		"link.expired":   "This link has expired: links in library notices work for %d days. You can still choose which notices you get in your account.",
		"unsub.heading":  "Stop these notices?",
		"unsub.lead":     "You will no longer get:",
		"unsub.button":   "Stop these notices",
		"unsub.done":     "Done: you will no longer get these notices.",
		"unsub.failed":   "Your preferences could not be changed just now. Please try again later, or change them in your account.",
		"prefs":          "Choose which notices you get in your account",
		"hold_ready":     "holds ready for pickup",
		"pre_due":        "reminders before the due date",
		"overdue":        "overdue reminders",
		"event_reminder": "event reminders",
	},
	"fi": {
		"title":          "Kirjaston ilmoitukset",
		"link.bad":       "Tämä linkki ei kelpaa. Se on ehkä katkennut kopioitaessa.",
		"link.expired":   "Tämä linkki on vanhentunut: kirjaston ilmoitusten linkit toimivat %d päivää. Voit edelleen valita omissa tiedoissasi, mitä ilmoituksia saat.",
		"unsub.heading":  "Lopetetaanko nämä ilmoitukset?",
		"unsub.lead":     "Et saa enää:",
		"unsub.button":   "Lopeta nämä ilmoitukset",
		"unsub.done":     "Valmis: et saa enää näitä ilmoituksia.",
		"unsub.failed":   "Asetuksiasi ei voitu juuri nyt muuttaa. Yritä myöhemmin uudelleen tai muuta ne omissa tiedoissasi.",
		"prefs":          "Valitse omissa tiedoissasi, mitä ilmoituksia saat",
		"hold_ready":     "ilmoituksia noudettavissa olevista varauksista",
		"pre_due":        "muistutuksia ennen eräpäivää",
		"overdue":        "myöhästymismuistutuksia",
		"event_reminder": "tapahtumamuistutuksia",
	},
}

type pageData struct {
	Heading string
	Notices []string
	Form    bool
	Action  string
	Prefs   string
}

var noticePage = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}} · {{.Library}}</title>
<style>body{font-family:system-ui,Arial,sans-serif;margin:0;color:#222}header{background:{{.Primary}};color:#fff;padding:12px 20px;font-weight:bold}
main{max-width:40em;margin:24px auto;padding:0 16px}button{background:{{.Primary}};color:#fff;border:0;padding:10px 18px;font-size:1rem;border-radius:4px}a{color:{{.Accent}}}</style>
</head><body><header>{{.Library}}</header><main>
<h1>{{.Heading}}</h1>
{{if .Notices}}{{if .Form}}<p>{{index .T "unsub.lead"}}</p>{{end}}<ul>{{range .Notices}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Form}}<form method="post" action="{{.Action}}"><button type="submit">{{index .T "unsub.button"}}</button></form>{{end}}
{{if .Prefs}}<p><a href="{{.Prefs}}">{{.T.prefs}}</a></p>{{end}}
</main></body></html>`))

// page writes a page in lang (en when the pages lack it).
func (n *Notifier) page(w http.ResponseWriter, status int, lang string, d pageData) {
	t, ok := pageText[lang]
	if !ok {
		lang, t = "en", pageText["en"]
	}
	var names []string
	for _, x := range d.Notices {
		if s, ok := t[x]; ok {
			x = s
		}
		names = append(names, x)
	}
	var b bytes.Buffer
	heading := t[d.Heading]
	if d.Heading == "link.expired" {
		heading = fmt.Sprintf(heading, int(n.cfg.LinkTTL/(24*time.Hour)))
	}
	err := noticePage.Execute(&b, map[string]any{"Lang": lang, "T": t, "Library": n.brand.Name, "Primary": n.brand.Primary,
		"Accent": n.brand.Accent, "Heading": heading, "Notices": names, "Form": d.Form, "Action": d.Action, "Prefs": d.Prefs})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
