package httpapi

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/branch/help"
	"stacks/branch/insight"
	"stacks/branch/notices"
)

// Issue 19's measurements: the insight counters (branch/insight) as JSON,
// CSV and a staff page with server-drawn SVG charts, with the figures
// notices, help and feedback keep themselves. They name no patron, so
// they are not audited.

func init() {
	for p, acc := range map[string]access{
		"GET /api/v1/insights":              need(domain.PermReportsRead),
		"GET /api/v1/insights/counts":       need(domain.PermReportsRead),
		"GET /api/v1/insights/counts.csv":   need(domain.PermReportsRead),
		"GET /api/v1/insights/turnover.csv": need(domain.PermReportsRead),
		"GET /insights":                     need(domain.PermReportsRead),
	} {
		routeAccess[p] = acc
	}
	for p, d := range map[string]routeDoc{
		"GET /api/v1/insights": docBody("Insights of library days from..to (default the last 30 days) for library_id (default: a branch appliance's own branch, central's every branch; * for every branch): circulation per day, hour, branch and channel, self-served share, registrations, holds (fill rate, days to fill, shelf expiry), patrons active on two or more channels, collection turnover by format (loans in the period of the items a branch owns against the items it holds now; per format and per branch and format), and the notices', help requests' and feedback's own figures",
			nil, insightsReply{}),
		"GET /api/v1/insights/counts":       docBody("The insight counters of from..to (library_id): one row per date, hour, branch, channel and metric", nil, []insight.Count{}),
		"GET /api/v1/insights/counts.csv":   doc("The insight counters of from..to (library_id) as CSV: date,hour,library_id,channel,metric,n"),
		"GET /api/v1/insights/turnover.csv": doc("Collection turnover of from..to (library_id) as CSV, per owning branch and format: library_id,format,loans,held,turnover (loans in the period over the items held now; empty when none is held)"),
		"GET /insights":                     doc("Staff page (HTML, SVG charts drawn on the server, no script) of the insights; from, to, library_id, lang=en|fi"),
	} {
		routeDocs[p] = d
	}
}

//go:embed locales/*.json
var localeFS embed.FS

// insightTexts are the page's texts per language.
var insightTexts = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range []string{"en", "fi"} {
		m, err := domain.LoadTexts(localeFS, "locales", lang)
		if err != nil {
			// The files are embedded at build time; a failure here is a build defect.
			panic(err)
		}
		out[lang] = m
	}
	return out
}()

func (a *API) insightsRoutes() {
	a.handle("GET /api/v1/insights", a.insightsJSON, "from", "to", "library_id")
	a.handle("GET /api/v1/insights/counts", a.insightCountsJSON, "from", "to", "library_id")
	a.handle("GET /api/v1/insights/counts.csv", a.insightCountsCSV, "from", "to", "library_id")
	a.handle("GET /api/v1/insights/turnover.csv", a.insightTurnoverCSV, "from", "to", "library_id")
	a.handle("GET /insights", a.insightsPage, "from", "to", "library_id", "lang")
}

// insightFilter is the request's period and branch: to defaults to
// today, from to 29 days before to; library_id to the node's own branch
// on a branch appliance and to every branch on central ("*" or an empty
// library_id is every branch).
func (a *API) insightFilter(r *http.Request) (insight.Filter, error) {
	q := r.URL.Query()
	f := insight.Filter{From: q.Get("from"), To: q.Get("to"), LibraryID: q.Get("library_id")}
	if _, given := q["library_id"]; !given && a.cluster == nil {
		f.LibraryID = a.svc.Branch()
	}
	if f.LibraryID == "*" {
		f.LibraryID = ""
	}
	if f.To == "" {
		f.To = a.clock.Now().In(a.loc).Format(domain.DateLayout)
	}
	if f.From == "" {
		t, err := time.Parse(domain.DateLayout, f.To)
		if err != nil {
			return f, domain.Invalid("to is a date, YYYY-MM-DD.")
		}
		f.From = t.AddDate(0, 0, -29).Format(domain.DateLayout)
	}
	if err := f.Check(); err != nil {
		return f, err
	}
	// Insight counts in a catch-up pass after each commit (branch.Deferral):
	// a report counts every op committed before it was asked for.
	return f, a.svc.CatchUp(r.Context())
}

// insightsReply is the insights report with the figures other
// capabilities keep: notices (delivery, open and click rates), help
// (waits and resolution times) and feedback (NPS, CSAT, response rates).
type insightsReply struct {
	*insight.Report
	Notices  *notices.NoticeStats    `json:"notices"`
	Help     []domain.HelpStat       `json:"help"`
	Feedback []domain.FeedbackResult `json:"feedback"`
}

func (a *API) insightsReport(r *http.Request) (*insightsReply, error) {
	f, err := a.insightFilter(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	rep, err := insight.Build(ctx, a.svc.Read(), f)
	if err != nil {
		return nil, err
	}
	out := &insightsReply{Report: rep, Help: []domain.HelpStat{}, Feedback: []domain.FeedbackResult{}}
	if out.Notices, err = a.notices.Stats(ctx, f.From, f.To); err != nil {
		return nil, err
	}
	from, _ := time.ParseInLocation(domain.DateLayout, f.From, a.loc)
	to, _ := time.ParseInLocation(domain.DateLayout, f.To, a.loc)
	hs, err := help.New(a.svc, nil).Stats(ctx, from.UTC().Format(domain.TimeLayout), to.AddDate(0, 0, 1).UTC().Format(domain.TimeLayout))
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if f.LibraryID == "" || h.BranchID == f.LibraryID {
			out.Help = append(out.Help, h)
		}
	}
	fb, err := a.feedback.Results(ctx, feedback.ResultsFilter{LibraryID: f.LibraryID, From: f.From, To: f.To})
	if err != nil {
		return nil, err
	}
	if fb != nil {
		out.Feedback = fb
	}
	return out, nil
}

func (a *API) insightsJSON(w http.ResponseWriter, r *http.Request) error {
	rep, err := a.insightsReport(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (a *API) insightCounts(r *http.Request) ([]insight.Count, error) {
	f, err := a.insightFilter(r)
	if err != nil {
		return nil, err
	}
	return insight.Counts(r.Context(), a.svc.Read(), f)
}

func (a *API) insightCountsJSON(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.insightCounts(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (a *API) insightCountsCSV(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.insightCounts(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"date", "hour", "library_id", "channel", "metric", "n"})
	for _, c := range cs {
		cw.Write([]string{c.Date, strconv.Itoa(c.Hour), csvSafe(c.LibraryID), csvSafe(c.Channel), c.Metric, strconv.Itoa(c.N)})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="insights.csv"`)
	_, err = w.Write(b.Bytes())
	return err
}

func (a *API) insightTurnoverCSV(w http.ResponseWriter, r *http.Request) error {
	f, err := a.insightFilter(r)
	if err != nil {
		return err
	}
	rep, err := insight.Build(r.Context(), a.svc.Read(), f)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"library_id", "format", "loans", "held", "turnover"})
	for _, t := range rep.TurnoverBranches {
		rate := ""
		if t.Rate != nil {
			rate = strconv.FormatFloat(*t.Rate, 'f', -1, 64)
		}
		cw.Write([]string{csvSafe(t.LibraryID), csvSafe(t.Format), strconv.Itoa(t.Loans), strconv.Itoa(t.Held), rate})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="turnover.csv"`)
	_, err = w.Write(b.Bytes())
	return err
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// pageLang is the page's language: lang=fi|en, else the browser's first
// choice of the two, else English.
func pageLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "fi" || l == "en" {
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fi"):
			return "fi"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// bar is one bar of a chart: a label and its stacked parts.
type bar struct {
	Label string
	Parts []int
}

// barChart draws stacked bars as SVG (no script, no external file): a
// title for screen readers, an axis with the largest value, and a label
// under every nth bar.
func barChart(title string, bars []bar, colours []string) template.HTML {
	const w, h, top, bottom, left = 720, 220, 10, 30, 40
	peak := 0
	for _, b := range bars {
		s := 0
		for _, p := range b.Parts {
			s += p
		}
		peak = max(peak, s)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx"><title>%s</title>`,
		w, h, w, template.HTMLEscapeString(title))
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, left, h-bottom, w, h-bottom)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" text-anchor="end">%d</text>`, left-4, top+10, peak)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" text-anchor="end">0</text>`, left-4, h-bottom)
	if n := len(bars); n > 0 && peak > 0 {
		slot := float64(w-left) / float64(n)
		// A bar is at most 40 wide: a period of a few days is not drawn
		// as a few slabs.
		bw := min(slot*0.7, 40)
		every := max(1, n/12)
		for i, b := range bars {
			x := float64(left) + float64(i)*slot + (slot-bw)/2
			y := float64(h - bottom)
			for j, p := range b.Parts {
				ph := float64(p) / float64(peak) * float64(h-top-bottom)
				y -= ph
				fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
					x, y, bw, ph, colours[j%len(colours)], template.HTMLEscapeString(b.Label), p)
			}
			if i%every == 0 {
				fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, x+bw/2, h-bottom+14,
					template.HTMLEscapeString(b.Label))
			}
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// insightFuncs are the page template's functions in lang: numbers with a
// decimal comma in Finnish, channel names from t (the code itself when t
// has none).
func insightFuncs(lang string, t map[string]string) template.FuncMap {
	dec := func(s string) string {
		if lang == "fi" {
			return strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	return template.FuncMap{
		"pct": func(p *float64) string {
			if p == nil {
				return "–"
			}
			return dec(strconv.FormatFloat(*p*100, 'f', 1, 64)) + " %"
		},
		// rate is a share of delivered notices: with none delivered there
		// is no rate ("–"), not a rate of nought.
		"rate": func(p float64, delivered int) string {
			if delivered == 0 {
				return "–"
			}
			return dec(strconv.FormatFloat(p*100, 'f', 1, 64)) + " %"
		},
		"num": func(p *int) string {
			if p == nil {
				return "–"
			}
			return strconv.Itoa(*p)
		},
		"mins": func(s float64) string { return dec(strconv.FormatFloat(s/60, 'f', 1, 64)) },
		"f2": func(p *float64) string {
			if p == nil {
				return "–"
			}
			return dec(strconv.FormatFloat(*p, 'f', 2, 64))
		},
		"f0": func(p *float64) string {
			if p == nil {
				return "–"
			}
			return strconv.FormatFloat(*p, 'f', 0, 64)
		},
		"ch": func(v any) string {
			code := fmt.Sprint(v)
			if name := t["channel."+code]; name != "" {
				return name
			}
			return code
		},
	}
}

var insightsTmpl = template.Must(template.New("insights").Funcs(insightFuncs("en", nil)).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.T.title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}
@media (max-width:40rem){body{margin:1rem}}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
td{white-space:nowrap}
th{background:#f3f3f3}td:first-child,th:first-child,.t{text-align:left}
.scroll{overflow-x:auto;max-width:100%;margin:1rem 0}
.scroll:focus-visible{outline:2px solid #3d5a80;outline-offset:2px}
.key .k{white-space:nowrap;margin-right:1em;display:inline-block}
.key .sw{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em}
form label{margin-right:1rem;display:inline-block;margin-bottom:.4rem}
figure{margin:1rem 0}
</style></head><body>
<h1>{{.T.title}}{{if .R.LibraryID}} · {{.R.LibraryID}}{{end}}</h1>
<form method="get" action="/insights">
<label>{{.T.from}} <input type="date" name="from" value="{{.R.From}}"></label>
<label>{{.T.to}} <input type="date" name="to" value="{{.R.To}}"></label>
<label>{{.T.branch}} <input name="library_id" value="{{.R.LibraryID}}" placeholder="{{.T.all_branches}}" size="18"></label>
<input type="hidden" name="lang" value="{{.Lang}}">
<button type="submit">{{.T.show}}</button>
</form>
<p>{{.Period}} · <a id="csv" href="{{.CSV}}">{{.T.csv}}</a> · <a href="{{.JSON}}">{{.T.json}}</a>
· <a href="{{.Switch}}" lang="{{.Other}}">{{if eq .Other "fi"}}Suomeksi{{else}}In English{{end}}</a></p>

<h2 id="totals-h">{{.T.totals}}</h2>
<div class="scroll" role="region" aria-labelledby="totals-h" tabindex="0"><table id="totals"><tbody>
<tr><th scope="row">{{.T.loans}}</th><td>{{.R.Total.Loans}}</td></tr>
<tr><th scope="row">{{.T.returns}}</th><td>{{.R.Total.Returns}}</td></tr>
<tr><th scope="row">{{.T.renewals}}</th><td>{{.R.Total.Renewals}}</td></tr>
<tr><th scope="row">{{.T.self_served}}</th><td>{{.R.Total.SelfServed}}</td></tr>
<tr><th scope="row">{{.T.desk}}</th><td>{{.R.Total.Desk}}</td></tr>
<tr><th scope="row">{{.T.self_share}}</th><td id="self-share">{{pct .R.Total.SelfServedShare}}</td></tr>
<tr><th scope="row">{{.T.registrations}}</th><td>{{.R.Total.Registrations}}</td></tr>
<tr><th scope="row">{{.T.handoffs_started}}</th><td>{{.R.Total.HandoffsStarted}}</td></tr>
<tr><th scope="row">{{.T.handoffs_completed}}</th><td>{{.R.Total.HandoffsCompleted}}</td></tr>
<tr><th scope="row">{{.T.handoff_drop_off}}</th><td>{{pct .R.HandoffDropOff}}</td></tr>
<tr><th scope="row">{{.T.searches}}</th><td>{{.R.Total.Searches}}</td></tr>
<tr><th scope="row">{{.T.search_successes}}</th><td>{{.R.Total.SearchSuccesses}}</td></tr>
<tr><th scope="row">{{.T.search_success}}</th><td id="search-success">{{pct .R.Total.SearchSuccessRate}}</td></tr>
</tbody></table></div>

<h2>{{.T.by_day}}</h2>
<p class="key"><span class="k"><span class="sw" style="background:#2b7a78"></span>{{.T.self_served}}</span> <span class="k"><span class="sw" style="background:#c97b2a"></span>{{.T.desk}}</span></p>
<figure>{{.DayChart}}<figcaption>{{.T.chart_day}}</figcaption></figure>
<h2>{{.T.by_hour}}</h2>
<figure>{{.HourChart}}</figure>

<h2 id="branches-h">{{.T.by_branch}}</h2>
<div class="scroll" role="region" aria-labelledby="branches-h" tabindex="0"><table><thead><tr><th scope="col">{{.T.branch}}</th><th scope="col">{{.T.loans}}</th><th scope="col">{{.T.returns}}</th><th scope="col">{{.T.renewals}}</th><th scope="col">{{.T.self_share}}</th><th scope="col">{{.T.registrations}}</th><th scope="col">{{.T.holds_placed}}</th><th scope="col">{{.T.searches}}</th><th scope="col">{{.T.search_success}}</th></tr></thead><tbody>
{{range .R.Branches}}<tr><td>{{.Key}}</td><td>{{.Loans}}</td><td>{{.Returns}}</td><td>{{.Renewals}}</td><td>{{pct .SelfServedShare}}</td><td>{{.Registrations}}</td><td>{{.HoldsPlaced}}</td><td>{{.Searches}}</td><td>{{pct .SearchSuccessRate}}</td></tr>
{{else}}<tr><td colspan="9">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>
<h2 id="channels-h">{{.T.by_channel}}</h2>
<div class="scroll" role="region" aria-labelledby="channels-h" tabindex="0"><table id="channels"><thead><tr><th scope="col">{{.T.channel}}</th><th scope="col">{{.T.loans}}</th><th scope="col">{{.T.returns}}</th><th scope="col">{{.T.renewals}}</th><th scope="col">{{.T.registrations}}</th><th scope="col">{{.T.holds_placed}}</th><th scope="col">{{.T.searches}}</th><th scope="col">{{.T.search_success}}</th></tr></thead><tbody>
{{range .R.Channels}}<tr><td>{{ch .Key}}</td><td>{{.Loans}}</td><td>{{.Returns}}</td><td>{{.Renewals}}</td><td>{{.Registrations}}</td><td>{{.HoldsPlaced}}</td><td>{{.Searches}}</td><td>{{pct .SearchSuccessRate}}</td></tr>
{{else}}<tr><td colspan="8">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>

<h2 id="holds-h">{{.T.holds}}</h2>
<div class="scroll" role="region" aria-labelledby="holds-h" tabindex="0"><table id="holds"><tbody>
<tr><th scope="row">{{.T.holds_placed}}</th><td>{{.R.Holds.Placed}}</td></tr>
<tr><th scope="row">{{.T.holds_ready}}</th><td>{{.R.Holds.Ready}}</td></tr>
<tr><th scope="row">{{.T.holds_fulfilled}}</th><td>{{.R.Holds.Fulfilled}}</td></tr>
<tr><th scope="row">{{.T.holds_shelf_expired}}</th><td>{{.R.Holds.ShelfExpired}}</td></tr>
<tr><th scope="row">{{.T.holds_cancelled}}</th><td>{{.R.Holds.Cancelled}}</td></tr>
<tr><th scope="row">{{.T.fill_rate}}</th><td>{{pct .R.Holds.FillRate}}</td></tr>
<tr><th scope="row">{{.T.shelf_expiry_rate}}</th><td>{{pct .R.Holds.ShelfExpiryRate}}</td></tr>
</tbody></table></div>
<p>{{.FillDays}}</p>

<h2 id="turnover-h">{{.T.turnover}}</h2>
<p>{{.T.turnover_note}} <a href="{{.TurnoverCSV}}">{{.T.turnover_csv}}</a></p>
<div class="scroll" role="region" aria-labelledby="turnover-h" tabindex="0"><table id="turnover"><thead><tr><th scope="col">{{.T.format}}</th><th scope="col">{{.T.loans}}</th><th scope="col">{{.T.held}}</th><th scope="col">{{.T.turnover_rate}}</th></tr></thead><tbody>
{{range .R.Turnover}}<tr><td>{{index $.Formats .Format}}</td><td>{{.Loans}}</td><td>{{.Held}}</td><td>{{f2 .Rate}}</td></tr>
{{else}}<tr><td colspan="4">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>
{{if not .R.LibraryID}}<h3 id="turnover-branches-h">{{.T.turnover_by_branch}}</h3>
<div class="scroll" role="region" aria-labelledby="turnover-branches-h" tabindex="0"><table id="turnover-branches"><thead><tr><th scope="col">{{.T.branch}}</th><th scope="col" class="t">{{.T.format}}</th><th scope="col">{{.T.loans}}</th><th scope="col">{{.T.held}}</th><th scope="col">{{.T.turnover_rate}}</th></tr></thead><tbody>
{{range .R.TurnoverBranches}}<tr><td>{{.LibraryID}}</td><td class="t">{{index $.Formats .Format}}</td><td>{{.Loans}}</td><td>{{.Held}}</td><td>{{f2 .Rate}}</td></tr>
{{else}}<tr><td colspan="5">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>{{end}}

<h2 id="multi-h">{{.T.multichannel}}</h2>
<p>{{.T.multichannel_note}}</p>
<div class="scroll" role="region" aria-labelledby="multi-h" tabindex="0"><table><thead><tr><th scope="col">{{.T.month}}</th><th scope="col">{{.T.patrons}}</th></tr></thead><tbody>
{{range .R.MultichannelMonths}}<tr><td>{{.Period}}</td><td>{{.N}}</td></tr>{{else}}<tr><td colspan="2">{{$.T.none}}</td></tr>{{end}}
</tbody></table></div>

<h2>{{.T.service}}</h2>
<h3 id="notices-h">{{.T.notices}}</h3>
<div class="scroll" role="region" aria-labelledby="notices-h" tabindex="0"><table><thead><tr><th scope="col">{{.T.channel}}</th><th scope="col">{{.T.sent}}</th><th scope="col">{{.T.delivered}}</th><th scope="col">{{.T.open_rate}}</th><th scope="col">{{.T.click_rate}}</th></tr></thead><tbody>
{{with .Notices}}<tr><td>{{$.T.all_channels}}</td><td>{{.Total.Sent}}</td><td>{{.Total.Delivered}}</td><td>{{rate .Total.OpenRate .Total.Delivered}}</td><td>{{rate .Total.ClickRate .Total.Delivered}}</td></tr>{{end}}
</tbody></table></div>
<h3 id="help-h">{{.T.help}}</h3>
<div class="scroll" role="region" aria-labelledby="help-h" tabindex="0"><table><thead><tr><th scope="col">{{.T.branch}} · {{.T.channel}}</th><th scope="col">{{.T.requests}}</th><th scope="col">{{.T.first_response}}</th><th scope="col">{{.T.resolution}}</th></tr></thead><tbody>
{{range .Help}}<tr><td>{{.BranchID}} · {{ch .Channel}}</td><td>{{.Requests}}</td><td>{{mins .FirstResponseMedianSec}}</td><td>{{mins .CloseMedianSec}}</td></tr>
{{else}}<tr><td colspan="4">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>
<h3 id="feedback-h">{{.T.feedback}}</h3>
<div class="scroll" role="region" aria-labelledby="feedback-h" tabindex="0"><table><thead><tr><th scope="col">{{.T.branch}} · {{.T.channel}}</th><th scope="col">{{.T.week}}</th><th scope="col">{{.T.nps}}</th><th scope="col">{{.T.csat}}</th><th scope="col">{{.T.response_rate}}</th></tr></thead><tbody>
{{range .Feedback}}<tr><td>{{.LibraryID}} · {{ch .Channel}}</td><td>{{.Week}}</td><td>{{f0 .NPS}}</td><td>{{pct .CSAT}}</td><td>{{pct .ResponseRate}}</td></tr>
{{else}}<tr><td colspan="5">{{$.T.none}}</td></tr>{{end}}</tbody></table></div>
</body></html>`))

// formatNames are the names in the page's language of the formats the
// report's turnover names (the code itself for a format without one).
func formatNames(t map[string]string, r *insight.Report) map[string]string {
	out := map[string]string{}
	for _, rows := range [][]insight.Turnover{r.Turnover, r.TurnoverBranches} {
		for _, row := range rows {
			name := t["format."+row.Format]
			if row.Format == "" {
				name = t["format_unknown"]
			}
			if name == "" {
				name = row.Format
			}
			out[row.Format] = name
		}
	}
	return out
}

func (a *API) insightsPage(w http.ResponseWriter, r *http.Request) error {
	rep, err := a.insightsReport(r)
	if err != nil {
		return err
	}
	lang := pageLang(r)
	t := map[string]string{}
	for k, v := range insightTexts[lang] {
		t[strings.TrimPrefix(k, "insights.")] = v
	}
	var days, hours []bar
	for _, d := range rep.Days {
		days = append(days, bar{Label: d.Key[5:], Parts: []int{d.SelfServed, d.Desk}})
	}
	for _, h := range rep.Hours {
		hours = append(hours, bar{Label: h.Key, Parts: []int{h.Transactions()}})
	}
	q := url.Values{"from": {rep.From}, "to": {rep.To}, "library_id": {rep.LibraryID}}
	if rep.LibraryID == "" {
		q.Set("library_id", "*")
	}
	other := "fi"
	if lang == "fi" {
		other = "en"
	}
	sw := url.Values{"lang": {other}}
	for k, v := range q {
		sw[k] = v
	}
	fill := ""
	if h := rep.Holds; h.DaysToFillP50 != nil {
		fill = strings.NewReplacer("{p50}", strconv.Itoa(*h.DaysToFillP50), "{p90}", strconv.Itoa(*h.DaysToFillP90),
			"{max}", strconv.Itoa(*h.DaysToFillMax)).Replace(t["days_to_fill"])
	}
	data := struct {
		Lang, Other, Period, FillDays  string
		CSV, JSON, Switch, TurnoverCSV template.URL
		Formats                        map[string]string
		T                              map[string]string
		R                              *insight.Report
		DayChart, HourChart            template.HTML
		Notices                        *notices.NoticeStats
		Help                           []domain.HelpStat
		Feedback                       []domain.FeedbackResult
	}{Lang: lang, Other: other, FillDays: fill, T: t, R: rep.Report,
		Period:      strings.NewReplacer("{from}", rep.From, "{to}", rep.To).Replace(t["period"]),
		DayChart:    barChart(t["by_day"], days, []string{"#2b7a78", "#c97b2a"}),
		HourChart:   barChart(t["by_hour"], hours, []string{"#3d5a80"}),
		CSV:         template.URL("/api/v1/insights/counts.csv?" + q.Encode()),
		TurnoverCSV: template.URL("/api/v1/insights/turnover.csv?" + q.Encode()),
		Formats:     formatNames(t, rep.Report),
		JSON:        template.URL("/api/v1/insights?" + q.Encode()),
		Switch:      template.URL("/insights?" + sw.Encode()),
		Notices:     rep.Notices, Help: rep.Help, Feedback: rep.Feedback}
	tmpl, err := insightsTmpl.Clone()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := tmpl.Funcs(insightFuncs(lang, t)).Execute(&b, data); err != nil {
		return err
	}
	staffHTML(w)
	w.Header().Set("Content-Language", lang)
	_, err = w.Write(b.Bytes())
	return err
}
