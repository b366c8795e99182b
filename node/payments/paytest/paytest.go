// Package paytest is a card payment provider for tests: a real HTTP
// service that speaks the Stacks payment protocol (see package payments),
// with a hosted checkout page where the patron "pays" with a test card.
//
// Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is
// declined; any other number is refused on the page as invalid.
package paytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"stacks/node/payments"
)

// Test card numbers.
const (
	CardSucceeds = "4242424242424242"
	CardDeclined = "4000000000000002"
)

// Config configures the provider.
type Config struct {
	Secret string
	// Now is the provider's clock, for notification signatures; nil
	// means time.Now.
	Now func() time.Time
	// SkipNotify sends no notifications (the library must then ask).
	SkipNotify bool
}

// Server is the test provider.
type Server struct {
	cfg  Config
	ln   net.Listener
	srv  *http.Server
	http *http.Client

	mu      sync.Mutex
	byID    map[string]*entry
	byKey   map[string]string
	creates int
}

type entry struct {
	p         payments.Payment
	in        payments.Intent
	notified  int
	notifyErr error
}

// Start serves the provider on addr (e.g. 127.0.0.1:0).
func Start(addr string, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ln: ln, byID: map[string]*entry{}, byKey: map[string]string{},
		http: &http.Client{Timeout: 10 * time.Second}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/payments", s.create)
	mux.HandleFunc("GET /v1/payments/{id}", s.get)
	mux.HandleFunc("GET /checkout/{id}", s.checkout)
	mux.HandleFunc("POST /checkout/{id}", s.decide)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the provider's base URL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the provider.
func (s *Server) Close() error { return s.srv.Close() }

// Creates is how many payments were created (a repeated idempotency key
// creates none).
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Payment is a payment the provider holds.
func (s *Server) Payment(id string) (payments.Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return payments.Payment{}, false
	}
	return e.p, true
}

// Notified is how many notifications of the payment were delivered with
// a 2xx answer, and the last delivery's error.
func (s *Server) Notified(id string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		return e.notified, e.notifyErr
	}
	return 0, nil
}

func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+s.cfg.Secret {
		http.Error(w, `{"error":"unauthorised"}`, http.StatusUnauthorized)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var in payments.Intent
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || key == "" || in.AmountCents <= 0 ||
		in.ReturnURL == "" || len(in.Currency) != 3 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad payment"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byKey[key]; ok {
		e := s.byID[id]
		if e.in.AmountCents != in.AmountCents || e.in.Currency != in.Currency {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "idempotency key reused for another payment"})
			return
		}
		writeJSON(w, http.StatusOK, e.p)
		return
	}
	var b [12]byte
	rand.Read(b[:])
	id := "pay_" + hex.EncodeToString(b[:])
	e := &entry{in: in, p: payments.Payment{ID: id, Reference: in.Reference, AmountCents: in.AmountCents, Currency: in.Currency,
		Status: payments.StatusPending, CheckoutURL: s.URL() + "/checkout/" + id}}
	s.byID[id], s.byKey[key] = e, id
	s.creates++
	writeJSON(w, http.StatusCreated, e.p)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	p, ok := s.Payment(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such payment"})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// The checkout page says in English and Finnish, whichever the browser
// asks for, that it is a test provider: no card is charged.
var page = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title></head>
<body><main>
<p role="note"><strong>{{.T.banner}}</strong> {{.T.cards}}</p>
<h1>{{.T.pay}} {{.Amount}}</h1>
<p>{{.Description}}</p>
{{if .Problem}}<p role="alert">{{.Problem}}</p>{{end}}
{{if eq .Status "pending"}}
<form method="post">
<p><label for="card">{{.T.card}}</label> <input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required></p>
<p><button type="submit" name="action" value="pay">{{.T.pay}}</button> <button type="submit" name="action" value="cancel">{{.T.cancel}}</button></p>
</form>
{{else}}<p>{{.T.status}} {{.Status}}.</p>{{end}}
</main></body></html>
`))

// pageTexts are the checkout page's words by language.
var pageTexts = map[string]map[string]string{
	"en": {"title": "Test payment provider: checkout", "banner": "Test payment provider: no real money is taken.",
		"cards": "Card 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.", "pay": "Pay", "card": "Card number",
		"cancel": "Cancel", "status": "This payment is", "invalid": "That card number is not valid."},
	"fi": {"title": "Testimaksupalvelu: maksu", "banner": "Testimaksupalvelu: oikeaa rahaa ei veloiteta.",
		"cards": "Kortilla 4242 4242 4242 4242 maksu onnistuu, 4000 0000 0000 0002 hylätään.", "pay": "Maksa", "card": "Kortin numero",
		"cancel": "Peru", "status": "Maksun tila:", "invalid": "Kortin numero ei kelpaa."},
}

// pageLang is the page's language for the browser's Accept-Language.
func pageLang(r *http.Request) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "fi") {
		return "fi"
	}
	return "en"
}

type pageData struct {
	Amount, Description, Status, Problem, Lang string
	T                                          map[string]string
}

func money(cents int64, cur string) string {
	return fmt.Sprintf("%s %d.%02d", cur, cents/100, cents%100)
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, e *entry, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	lang := pageLang(r)
	page.Execute(w, pageData{Amount: money(e.p.AmountCents, e.p.Currency), Description: e.in.Description, Status: e.p.Status,
		Problem: problem, Lang: lang, T: pageTexts[lang]})
}

func (s *Server) checkout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e, ok := s.byID[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, e, "")
}

// decide takes the patron's card (or cancel), notifies the library and
// sends the browser back to it.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	e, ok := s.byID[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	status := payments.StatusCancelled
	if r.PostFormValue("action") == "pay" {
		switch strings.NewReplacer(" ", "", "-", "").Replace(r.PostFormValue("card")) {
		case CardSucceeds:
			status = payments.StatusSucceeded
		case CardDeclined:
			status = payments.StatusDeclined
		default:
			s.render(w, r, http.StatusUnprocessableEntity, e, pageTexts[pageLang(r)]["invalid"])
			return
		}
	}
	s.mu.Lock()
	if e.p.Status == payments.StatusPending {
		e.p.Status = status
	}
	s.mu.Unlock()
	s.Notify(r.Context(), id)
	http.Redirect(w, r, e.in.ReturnURL, http.StatusSeeOther)
}

// Notify sends the payment's notification to its notify URL (again, if it
// was sent before: a replay).
func (s *Server) Notify(ctx context.Context, id string) error {
	s.mu.Lock()
	e, ok := s.byID[id]
	var p payments.Payment
	var to string
	if ok {
		p, to = e.p, e.in.NotifyURL
	}
	s.mu.Unlock()
	if !ok {
		return errors.New("paytest: no such payment")
	}
	if to == "" || s.cfg.SkipNotify {
		return nil
	}
	if _, err := url.Parse(to); err != nil {
		return err
	}
	body, _ := json.Marshal(p)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payments.SignatureHeader, payments.Sign(s.cfg.Secret, body, s.cfg.Now()))
	resp, err := s.http.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = errors.New("paytest: notification answered " + resp.Status)
		}
	}
	s.mu.Lock()
	e.notifyErr = err
	if err == nil {
		e.notified++
	}
	s.mu.Unlock()
	return err
}
