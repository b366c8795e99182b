package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"stacks/branch/domain"
)

// Ask for help at the kiosk. SIP2 has no message for it, and a vendor
// extension would be a second protocol to keep (and one no other ACS
// speaks), so the kiosk calls the appliance's help API over HTTP
// (/api/v1/help_requests) with its own kiosk login, found as the
// _stacks._tcp mDNS advert of its branch or given with --api. The request
// names the patron's card if they have identified (else it is
// anonymous) and the kiosk's location; the kiosk then reads the request
// until staff answer and shows the answer on its screen. It links no
// API client package (the kiosk embeds nothing of node): this is a few
// plain HTTP calls.

// helpDesk is the appliance's help API, as this kiosk's login.
type helpDesk struct {
	base, user, password string
	hc                   *http.Client
	// poll is how often a request is read while waiting; wait is how
	// long the kiosk waits for an answer before it stops showing the
	// request (staff still see it).
	poll, wait time.Duration
	now        func() time.Time
}

// helpState is the kiosk's request under way.
type helpState struct {
	desk *helpDesk
	id   string
	seen int // staff answers already shown
}

// connectHelp sets up help requests through the appliance's API at base
// (apiBase); without one the kiosk says help is at the desk.
func connectHelp(base string, o options) *helpState {
	if base == "" {
		return &helpState{}
	}
	wait := o.helpWait
	if wait <= 0 {
		wait = 3 * time.Minute
	}
	return &helpState{desk: &helpDesk{base: base, user: o.user, password: o.password, hc: &http.Client{},
		poll: time.Second, wait: wait, now: time.Now}}
}

// apiError is the appliance's refusal (problem+json detail).
type apiError struct {
	status int
	detail string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.detail) }

func (h *helpDesk) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(h.user, h.password)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var p struct {
			Detail string `json:"detail"`
		}
		json.Unmarshal(b, &p)
		return &apiError{status: resp.StatusCode, detail: p.Detail}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// askHelp sends the patron's (or an anonymous) request.
func (k *kiosk) askHelp(message string) (result, error) {
	if k.help == nil || k.help.desk == nil {
		return result{msg: k.T("help.unavailable")}, nil
	}
	message = strings.TrimSpace(message)
	if message == "" {
		return result{msg: k.T("help.empty")}, nil
	}
	if len([]rune(message)) > 2000 {
		return result{msg: k.T("help.too_long", 2000)}, nil
	}
	var out struct {
		ID string `json:"help_request_id"`
	}
	err := k.help.desk.call(context.Background(), "POST", "/api/v1/help_requests",
		map[string]string{"message": message, "cardnumber": k.card, "location": k.location}, &out)
	if err != nil {
		return result{msg: k.T("help.failed")}, k.helpErr(err)
	}
	k.help.id, k.help.seen = out.ID, 0
	return result{ok: true, msg: k.T("help.sent")}, nil
}

// helpErr keeps a refusal on the screen (nil) and returns what is not
// one (the appliance gone): a refusal is the kiosk's failure to say, not
// the patron's.
func (k *kiosk) helpErr(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		k.printf("(%s)\n", ae.detail)
		return nil
	}
	k.printf("(%v)\n", err)
	return nil
}

// waitHelp reads the request until staff answer it (each new answer is
// the result) or the wait is over.
func (k *kiosk) waitHelp() (result, error) {
	h := k.help
	if h == nil || h.id == "" {
		return result{msg: k.T("help.none")}, nil
	}
	deadline := h.desk.now().Add(h.desk.wait)
	for {
		var hr domain.HelpRequest
		if err := h.desk.call(context.Background(), "GET", "/api/v1/help_requests/"+url.PathEscape(h.id), nil, &hr); err != nil {
			return result{msg: k.T("help.failed")}, k.helpErr(err)
		}
		var answers []string
		n := 0
		for _, m := range hr.Messages {
			if m.From != domain.HelpFromStaff {
				continue
			}
			n++
			if n > h.seen {
				answers = append(answers, m.Text)
			}
		}
		if len(answers) > 0 {
			h.seen = n
			return result{ok: true, msg: k.T("help.answer", strings.Join(answers, " / "))}, nil
		}
		if hr.Status == domain.HelpClosed {
			h.id = ""
			return result{msg: k.T("help.closed")}, nil
		}
		if !h.desk.now().Before(deadline) {
			return result{msg: k.T("help.still_waiting")}, nil
		}
		time.Sleep(h.desk.poll) // the patron is waiting at the screen; nothing else to do
	}
}

// replyHelp sends the patron's reply to the answer.
func (k *kiosk) replyHelp(text string) (result, error) {
	h := k.help
	if h == nil || h.id == "" {
		return result{msg: k.T("help.none")}, nil
	}
	if strings.TrimSpace(text) == "" {
		return result{msg: k.T("help.empty")}, nil
	}
	if err := h.desk.call(context.Background(), "POST", "/api/v1/help_requests/"+url.PathEscape(h.id)+"/replies",
		map[string]string{"text": text}, nil); err != nil {
		return result{msg: k.T("help.failed")}, k.helpErr(err)
	}
	return result{ok: true, msg: k.T("help.replied")}, nil
}

// helpScreen is the interactive "ask for help": the question, the wait,
// the answer, and a reply or Enter to finish.
func helpScreen(k *kiosk, ask func(string) (string, bool)) {
	msg, ok := ask(k.T("help.prompt"))
	if !ok || msg == "" {
		return
	}
	r, err := k.askHelp(msg)
	k.printf("%s\n", r.msg)
	if err != nil || !r.ok {
		return
	}
	for {
		k.printf("%s\n", k.T("help.waiting"))
		r, err := k.waitHelp()
		k.printf("%s\n", r.msg)
		if err != nil || !r.ok {
			return
		}
		text, ok := ask(k.T("help.reply_prompt"))
		if !ok || text == "" {
			k.help.id = ""
			return
		}
		r, err = k.replyHelp(text)
		k.printf("%s\n", r.msg)
		if err != nil || !r.ok {
			return
		}
	}
}
