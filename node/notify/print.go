package notify

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/http"

	"stacks/branch/notices"
)

// checkPrint accepts a notice to post: the engine keeps the list of them
// for staff, who print them with Letters. It only checks that the letter
// can be written.
func (n *Notifier) checkPrint(m notices.Message) error {
	_, err := n.render(m, links{}, nil)
	return err
}

// Paper sizes of printed letters.
const (
	PaperA4     = "A4"
	PaperLetter = "letter"
)

var lettersPage = htmltemplate.Must(htmltemplate.New("letters").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
@page { size: {{.Paper}}; margin: 20mm 18mm; }
body { font-family: Georgia, "Times New Roman", serif; color: #000; margin: 0; }
.letter { page-break-after: always; break-after: page; padding: 0; }
.letter:last-child { page-break-after: auto; break-after: auto; }
.head { border-bottom: 3px solid {{.Primary}}; padding-bottom: 4mm; margin-bottom: 8mm; font: bold 16pt Arial, sans-serif; color: {{.Primary}}; }
.address { margin: 0 0 12mm 0; min-height: 30mm; font-size: 12pt; }
.body { font-size: 11pt; line-height: 1.45; }
.body table { border-collapse: collapse; }
.body td { padding: 2mm 4mm 2mm 0; vertical-align: top; }
.body a { color: #000; text-decoration: none; }
.toolbar { font: 12pt Arial, sans-serif; padding: 8px; background: #eee; }
@media print { .toolbar { display: none; } }
@media screen { .letter { max-width: 180mm; margin: 10mm auto; padding: 10mm; box-shadow: 0 0 4px #999; } }
</style></head><body>
<div class="toolbar">{{.Count}} · <a href="?paper=A4">A4</a> · <a href="?paper=letter">Letter</a></div>
{{range .Letters}}<section class="letter" lang="{{.Lang}}">
<div class="head">{{$.Library}}{{if .Branch}} · {{.Branch}}{{end}}</div>
<div class="address">{{.Name}}{{if .Card}}<br>{{.Card}}{{end}}</div>
<div class="body"><h1 style="font-size:14pt">{{.Subject}}</h1>
{{.Body}}</div>
</section>
{{end}}</body></html>`))

type letterView struct {
	Lang, Name, Card, Branch, Subject string
	Body                              htmltemplate.HTML
}

// Letters renders msgs as one HTML page of letters to print, one a page,
// each in its patron's language, for paper PaperA4 or PaperLetter.
func (n *Notifier) Letters(msgs []notices.Message, paper string) ([]byte, error) {
	if paper != PaperLetter {
		paper = PaperA4
	}
	data := struct {
		Lang, Title, Count, Paper, Library, Primary string
		Letters                                     []letterView
	}{Lang: "en", Title: "Notices to post", Paper: paper, Library: n.brand.Name, Primary: n.brand.Primary}
	data.Count = fmt.Sprintf("%d letters to post", len(msgs))
	if len(msgs) == 1 {
		data.Count = "1 letter to post"
	}
	for _, m := range msgs {
		r, err := n.render(m, links{}, nil)
		if err != nil {
			return nil, err
		}
		greeting := map[string]string{"en": "Hello ", "fi": "Hei "}[r.lang] + htmltemplate.HTMLEscapeString(r.name) + ","
		data.Letters = append(data.Letters, letterView{Lang: r.lang, Name: m.Patron.Name, Card: m.Patron.CardNumber,
			Branch: m.BranchName, Subject: r.Subject, Body: htmltemplate.HTML("<p>" + greeting + "</p>\n" + r.body)})
	}
	var b bytes.Buffer
	if err := lettersPage.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PrintHandler serves the page of letters to print for the messages list
// returns (the engine's list of notices to post); ?paper=letter prints on
// US letter, else A4. Mount it behind staff authentication.
func (n *Notifier) PrintHandler(list func(ctx context.Context, r *http.Request) ([]notices.Message, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msgs, err := list(r.Context(), r)
		if err != nil {
			n.lg.Warn("letters to print", "err", err)
			http.Error(w, "The notices to post could not be listed.", http.StatusInternalServerError)
			return
		}
		page, err := n.Letters(msgs, r.URL.Query().Get("paper"))
		if err != nil {
			n.lg.Warn("letters to print", "err", err)
			http.Error(w, "The letters could not be written: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(page)
	})
}
