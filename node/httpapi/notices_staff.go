package httpapi

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"stacks/branch/domain"
	"stacks/branch/notices"
)

// Issue 17's routes beside the notice engine's: bounces reported by the
// relay, the statistics per kind and channel, and the staff page of
// notices to post (the list, the letters to print, marking them posted).
// Their permissions and documentation are registered here, apart from the
// shared tables.

func init() {
	for p, acc := range map[string]access{
		"POST /api/v1/notices/bounces":      need(domain.PermNoticesSend).audited(),
		"POST /api/v1/notices/bounces/dsn":  need(domain.PermNoticesSend).audited(),
		"GET /api/v1/notices/stats":         need(domain.PermNoticesRead),
		"POST /api/v1/notices/print/posted": need(domain.PermNoticesSend).audited(),
		"GET /notices/print":                need(domain.PermNoticesRead).audited(), // names and addresses
		"GET /notices/print/letters":        need(domain.PermNoticesRead).audited(),
		"POST /notices/print/posted":        need(domain.PermNoticesSend).audited(),
	} {
		routeAccess[p] = acc
	}
	for p, d := range map[string]routeDoc{
		"POST /api/v1/notices/bounces": docBody("Report a bounce (the relay's webhook): the notice by key or Message-ID and the SMTP status; a 5.x.x fails it and flags the address",
			notices.Bounce{}, notices.BounceResult{}),
		"POST /api/v1/notices/bounces/dsn": docBody("Report a bounce as the delivery status notification the bounce mailbox received (RFC 3464 multipart/report, the raw message as the body)",
			nil, []notices.BounceResult{}),
		"GET /api/v1/notices/stats": docBody("Notices claimed from..to (library dates), per kind and channel: sent, delivered, failed, opened, clicked, open and click rates",
			nil, notices.NoticeStats{}),
		"POST /api/v1/notices/print/posted": docBody("Mark print notices posted", postedRequest{}, postedReply{}),
		"GET /notices/print":                doc("Staff page (HTML) of the notices to post, to print their letters and mark them posted"),
		"GET /notices/print/letters":        doc("The letters of the notices to post (HTML with print CSS; paper=A4 or letter)"),
		"POST /notices/print/posted":        doc("Mark print notices posted from the staff page (a form; then back to the page)"),
	} {
		routeDocs[p] = d
	}
}

// Letters renders print notices as a page of letters (node/notify's
// Notifier.Letters); the node sets it once its channels exist.
type Letters func(msgs []notices.Message, paper string) ([]byte, error)

var lettersMu sync.Mutex

// SetLetters sets what writes the letters of the staff print page.
func (a *API) SetLetters(l Letters) {
	lettersMu.Lock()
	a.letters = l
	lettersMu.Unlock()
}

func (a *API) lettersOf() Letters {
	lettersMu.Lock()
	defer lettersMu.Unlock()
	return a.letters
}

func (a *API) noticesStaffRoutes() {
	a.handle("POST /api/v1/notices/bounces", a.noticeBounce)
	a.handle("POST /api/v1/notices/bounces/dsn", a.noticeDSN)
	a.handle("GET /api/v1/notices/stats", a.noticeStats, "from", "to")
	a.handle("POST /api/v1/notices/print/posted", a.noticesPosted)
	a.handle("GET /notices/print", a.printPage, "library_id", "all")
	a.handle("GET /notices/print/letters", a.printLetters, "library_id", "all", "paper", "key")
	a.handle("POST /notices/print/posted", a.printPostedForm)
}

func (a *API) noticeBounce(w http.ResponseWriter, r *http.Request) error {
	var b notices.Bounce
	if err := decodeBody(r, &b, false); err != nil {
		return err
	}
	res, err := a.notices.Bounce(r.Context(), b)
	if err != nil {
		return err
	}
	noteSubject(r.Context(), "", res.Key)
	return writeJSON(w, http.StatusOK, res)
}

// noticeDSN takes a bounce mailbox's delivery status notification as it
// came (a script reading the mailbox POSTs each message).
func (a *API) noticeDSN(w http.ResponseWriter, r *http.Request) error {
	bs, err := notices.ParseDSN(r.Body)
	if err != nil {
		return err
	}
	out := []notices.BounceResult{}
	for _, b := range bs {
		res, err := a.notices.Bounce(r.Context(), b)
		if err != nil {
			return err
		}
		out = append(out, *res)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) noticeStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	today := a.clock.Now().In(a.loc).Format(domain.DateLayout)
	if to == "" {
		to = today
	}
	if from == "" {
		from = to
	}
	st, err := a.notices.Stats(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

type postedRequest struct {
	Keys []string `json:"keys"`
}

type postedReply struct {
	Posted int `json:"posted"`
}

func (a *API) noticesPosted(w http.ResponseWriter, r *http.Request) error {
	var req postedRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if len(req.Keys) == 0 || len(req.Keys) > 1000 {
		return badRequest("keys lists 1 to 1000 notices.")
	}
	n, err := a.notices.MarkPosted(r.Context(), req.Keys)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, postedReply{Posted: n})
}

// toPost lists the print notices of the request's library: not yet
// posted, or all with all=1; only the keys named, if any.
func (a *API) toPost(r *http.Request) ([]notices.PrintItem, map[string]string, error) {
	q := r.URL.Query()
	items, err := a.notices.PrintList(r.Context(), q.Get("library_id"), "")
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Notice.Key
	}
	posted, err := a.notices.PostedAt(r.Context(), keys)
	if err != nil {
		return nil, nil, err
	}
	only := map[string]bool{}
	for _, k := range q["key"] {
		only[k] = true
	}
	var out []notices.PrintItem
	for _, it := range items {
		if (q.Get("all") != "1" && posted[it.Notice.Key] != "") || (len(only) > 0 && !only[it.Notice.Key]) {
			continue
		}
		out = append(out, it)
	}
	return out, posted, nil
}

var printPageTmpl = template.Must(template.New("print").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Notices to post</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.posted{color:#555}button{font-size:1rem;padding:.4rem 1rem}
@media print{form,nav{display:none}}
</style></head><body>
<h1>Notices to post{{if .Library}} · {{.Library}}{{end}}</h1>
<nav><p>{{if .All}}<a href="?library_id={{.Library}}">Only those not yet posted</a>{{else}}<a href="?library_id={{.Library}}&amp;all=1">Show those posted too</a>{{end}}</p></nav>
{{if .Items}}
<p><a id="letters" href="/notices/print/letters?library_id={{.Library}}{{if .All}}&amp;all=1{{end}}" target="_blank">Print the letters (A4)</a>
· <a href="/notices/print/letters?library_id={{.Library}}{{if .All}}&amp;all=1{{end}}&amp;paper=letter" target="_blank">US letter</a></p>
<form method="post" action="/notices/print/posted">
<input type="hidden" name="library_id" value="{{.Library}}">
<table><thead><tr><th>Posted</th><th>Notice</th><th>Patron</th><th>Card</th><th>Address</th><th>Language</th><th>Claimed</th></tr></thead><tbody>
{{range .Items}}<tr{{if .Posted}} class="posted"{{end}}>
<td>{{if .Posted}}{{.Posted}}{{else}}<input type="checkbox" name="key" value="{{.Key}}" checked aria-label="Mark {{.Kind}} for {{.Name}} posted">{{end}}</td>
<td>{{.Kind}}</td><td>{{.Name}}</td><td>{{.Card}}</td><td>{{.Address}}</td><td>{{.Lang}}</td><td>{{.Claimed}}</td></tr>
{{end}}</tbody></table>
<button type="submit" name="mark" value="posted">Mark the checked letters posted</button>
</form>
{{else}}<p id="none">Nothing to post.</p>{{end}}
</body></html>`))

type printRow struct {
	Key, Kind, Name, Card, Address, Lang, Claimed, Posted string
}

func (a *API) printPage(w http.ResponseWriter, r *http.Request) error {
	items, posted, err := a.toPost(r)
	if err != nil {
		return err
	}
	data := struct {
		Library string
		All     bool
		Items   []printRow
	}{Library: r.URL.Query().Get("library_id"), All: r.URL.Query().Get("all") == "1"}
	for _, it := range items {
		m := it.Message
		data.Items = append(data.Items, printRow{Key: it.Notice.Key, Kind: it.Notice.Kind, Name: m.Patron.Name, Card: m.Patron.CardNumber,
			Address: m.Patron.Address, Lang: m.Language, Claimed: it.Notice.ClaimedAt, Posted: posted[it.Notice.Key]})
	}
	var b bytes.Buffer
	if err := printPageTmpl.Execute(&b, data); err != nil {
		return err
	}
	staffHTML(w)
	_, err = w.Write(b.Bytes())
	return err
}

func staffHTML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
}

func (a *API) printLetters(w http.ResponseWriter, r *http.Request) error {
	l := a.lettersOf()
	if l == nil {
		return domain.Fail(domain.CodeNoticesUnavailable, "This node cannot write letters: its notice channels are not open.")
	}
	items, _, err := a.toPost(r)
	if err != nil {
		return err
	}
	msgs := make([]notices.Message, len(items))
	for i, it := range items {
		msgs[i] = it.Message
	}
	page, err := l(msgs, r.URL.Query().Get("paper"))
	if err != nil {
		return err
	}
	staffHTML(w)
	_, err = w.Write(page)
	return err
}

// printPostedForm marks the checked notices posted and goes back to the
// page. A form sent from another site (the browser keeps a staff login)
// is refused.
func (a *API) printPostedForm(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return &forbidden{perm: domain.PermNoticesSend, detail: "This form is only accepted from this node's own page."}
	}
	if err := r.ParseForm(); err != nil {
		return badRequest("The form could not be read: %v", err)
	}
	keys := r.PostForm["key"]
	if len(keys) > 0 {
		if _, err := a.notices.MarkPosted(r.Context(), keys); err != nil {
			return err
		}
	}
	back := "/notices/print"
	if lib := r.PostFormValue("library_id"); lib != "" {
		back += "?library_id=" + url.QueryEscape(lib)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// sameOrigin: the browser says the request came from this site (Fetch
// metadata), or its Origin is this host; a client that sends neither (not
// a browser) is let through, as for the JSON API.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin" || s == "none"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
	return true
}
