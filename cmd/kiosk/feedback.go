package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The survey at the end of a kiosk session. SIP2 has no message for a
// survey, and an extension of our own would be understood by our ACS only,
// so the kiosk speaks to branchd's JSON API for it: --api URL, or, when
// the kiosk found its ACS by mDNS, the same branch's _stacks._tcp service.
// It logs in with its kiosk account (HTTP Basic, as over SIP2) and names
// the patron by the card they identified with. This client is a few
// requests over net/http and encoding/json, on purpose: the kiosk links no
// API client package.

// feedbackAPI is the kiosk's client of branchd's feedback API.
type feedbackAPI struct {
	base, user, pass string
	hc               *http.Client
}

// newFeedbackAPI is the survey's client of the API at base (apiBase);
// nil (no survey) without one.
func newFeedbackAPI(base string, o options) *feedbackAPI {
	if base == "" {
		return nil
	}
	return &feedbackAPI{base: base, user: o.user, pass: o.password, hc: &http.Client{Timeout: 10 * time.Second}}
}

// call sends one request; a problem answer becomes an error with its detail.
func (a *feedbackAPI) call(method, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(a.user, a.pass)
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var p struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(body, &p) == nil && p.Detail != "" {
			return errors.New(p.Detail)
		}
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if out != nil && len(body) > 0 {
		return json.Unmarshal(body, out)
	}
	return nil
}

// invite asks whether the patron is invited after this session: the
// invitation's ID, or "" when not (invited lately, or nothing done).
func (a *feedbackAPI) invite(card string) (string, error) {
	var r struct {
		Invited    bool `json:"invited"`
		Invitation struct {
			ID string `json:"invitation_id"`
		} `json:"invitation"`
	}
	err := a.call("POST", "/api/v1/feedback/invitations", map[string]string{"cardnumber": card, "kind": "kiosk_session", "channel": "kiosk"}, &r)
	if err != nil || !r.Invited {
		return "", err
	}
	return r.Invitation.ID, nil
}

func (a *feedbackAPI) close(id, card string) error {
	return a.call("POST", "/api/v1/feedback/invitations/"+id+"/close", map[string]string{"cardnumber": card}, nil)
}

// survey is one patron's answers; Score 0 and NPS -1 mean not given.
type survey struct {
	Score, NPS int
	Comment    string
	Anonymous  bool
}

func (a *feedbackAPI) answer(id, card string, s survey) error {
	req := map[string]any{"channel": "kiosk", "invitation_id": id, "cardnumber": card, "comment": s.Comment, "anonymous": s.Anonymous}
	if s.Score > 0 {
		req["score"] = s.Score
	}
	if s.NPS >= 0 {
		req["nps"] = s.NPS
	}
	return a.call("POST", "/api/v1/feedback", req, nil)
}

// offerFeedback runs the survey at the end of the patron's session, if
// the kiosk has the API and the patron is invited. Any failure skips it:
// the session ends as always.
func (k *kiosk) offerFeedback(ask func(string) (string, bool)) {
	if k.fb == nil || k.card == "" {
		return
	}
	id, err := k.fb.invite(k.card)
	if err != nil || id == "" {
		return
	}
	yes, ok := ask("\n" + k.T("feedback.offer"))
	// Taken up or declined, the invitation is closed before any answer.
	if err := k.fb.close(id, k.card); err != nil || !ok || !isYes(yes) {
		return
	}
	s := survey{NPS: -1}
	s.Score = k.askNumber(ask, k.T("feedback.score"), 1, 5, k.T("feedback.bad_score"))
	s.NPS = k.askNumber(ask, k.T("feedback.nps"), 0, 10, k.T("feedback.bad_nps"))
	if s.NPS < 0 {
		s.NPS = -1
	}
	s.Comment, _ = ask(k.T("feedback.comment"))
	anon, _ := ask(k.T("feedback.anonymous"))
	s.Anonymous = isYes(anon)
	if s.Score == 0 && s.NPS < 0 && strings.TrimSpace(s.Comment) == "" {
		k.printf("%s\n", k.T("feedback.skipped"))
		return
	}
	if err := k.fb.answer(id, k.card, s); err != nil {
		k.printf("%s\n", k.T("feedback.failed"))
		return
	}
	k.printf("%s\n", k.T("feedback.thanks"))
}

// askNumber asks until the answer is a number in lo..hi or empty (0 for
// a scale from 1, -1 for one from 0).
func (k *kiosk) askNumber(ask func(string) (string, bool), prompt string, lo, hi int, bad string) int {
	none := lo - 1
	for range 5 {
		s, ok := ask(prompt)
		if !ok || strings.TrimSpace(s) == "" {
			return none
		}
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= lo && n <= hi {
			return n
		}
		k.printf("%s\n", bad)
	}
	return none
}

func isYes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "k", "kyllä":
		return true
	}
	return false
}

// feedbackScript is the script's "feedback SCORE NPS anon|named COMMENT..."
// (- for a score not given): the survey with those answers, if invited.
func (k *kiosk) feedbackScript(args []string) (result, error) {
	if k.card == "" {
		return result{}, errNoPatron
	}
	if k.fb == nil {
		return result{msg: k.T("feedback.no_api")}, nil
	}
	if len(args) < 3 {
		return result{}, errors.New("feedback SCORE NPS anon|named [COMMENT]")
	}
	lines := []string{"y", args[0], args[1], strings.Join(args[3:], " "), map[bool]string{true: "y", false: "n"}[args[2] == "anon"]}
	i := 0
	ask := func(string) (string, bool) {
		if i >= len(lines) {
			return "", false
		}
		i++
		s := lines[i-1]
		if s == "-" {
			s = ""
		}
		return s, true
	}
	var out strings.Builder
	saved := k.out
	k.out = &out
	k.offerFeedback(ask)
	k.out = saved
	if i == 0 {
		return result{msg: k.T("feedback.not_invited")}, nil
	}
	msg := strings.TrimSpace(out.String())
	return result{ok: strings.Contains(msg, k.T("feedback.thanks")), msg: strings.ReplaceAll(msg, "\n", " ")}, nil
}
