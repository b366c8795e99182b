package sip2

import (
	"context"
	"errors"
	"strings"

	"stacks/branch/domain"
)

// Handoff codes at the kiosk. A patron who made a handoff code on the web
// or in an app types or scans it at the kiosk in place of the card (the
// patron identifier, AA) or in place of the PIN (the patron password, AD)
// of patron status (23), patron information (63), checkout (11) or any
// other patron transaction. The card field is tried as a card number
// first; the PIN field is tried as a code first when it looks like one,
// and as the PIN when no such code was ever made. A code proves the
// patron as a right PIN does (it is remembered for the session); a "pick
// up my ready holds" code also checks out every hold ready here, and the
// next answer's screen message (AF) says what was checked out. A used or
// expired code is refused with the reason on the screen.

// HandoffCodes redeems handoff codes; node adapts branch/handoff to it.
type HandoffCodes interface {
	// IsHandoffCode reports whether s is shaped like a handoff code.
	IsHandoffCode(s string) bool
	// RedeemHandoff uses a code once: the patron and intent it carried;
	// ErrNoSuchHandoff when no such code was ever made.
	RedeemHandoff(ctx context.Context, code string) (patronID, intent string, err error)
	// PickupReadyHolds checks out the patron's holds ready here: the
	// titles checked out, and each refusal (a *domain.Error, put in the
	// patron's words here).
	PickupReadyHolds(ctx context.Context, patronID string) (done []string, refused []error, err error)
}

// ErrNoSuchHandoff is RedeemHandoff's answer for a code never made.
var ErrNoSuchHandoff = errors.New("sip2: no such handoff code")

// IntentPickupHolds is the intent whose redemption checks out ready holds.
const IntentPickupHolds = "pickup_holds"

var errHandoffOther = &domain.Error{Code: domain.CodeBadCredentials, Message: "This code belongs to another card."}

// handoff redeems code once per session: the patron it carried; a code
// this session already redeemed answers its patron again (kiosks send the
// field with every message). ok is false when code is no handoff code.
func (ss *session) handoff(ctx context.Context, code string) (patronID string, ok bool, err error) {
	h := ss.srv.cfg.Handoff
	if h == nil || !h.IsHandoffCode(code) {
		return "", false, nil
	}
	norm := strings.ToUpper(strings.TrimSpace(code))
	if ss.handoffCode != "" && norm == ss.handoffCode {
		return ss.handoffPatron, true, nil
	}
	pid, intent, err := h.RedeemHandoff(ctx, code)
	if errors.Is(err, ErrNoSuchHandoff) {
		return "", false, nil
	}
	if err != nil {
		ss.authPatron = ""
		return "", true, err
	}
	ss.handoffCode, ss.handoffPatron = norm, pid
	ss.authPatron, ss.authAt, ss.authLang = pid, ss.lib.site.Now(), ""
	ss.lg.Info("handoff code used", "kiosk", ss.kiosk, "intent", intent)
	if intent == IntentPickupHolds {
		done, refused, err := h.PickupReadyHolds(ctx, pid)
		if err != nil {
			return "", true, err
		}
		var note []string
		if len(done) > 0 {
			note = append(note, sentence(ss.T("handoff.done", strings.Join(done, ", "))))
		} else if len(refused) == 0 {
			note = append(note, ss.T("handoff.none"))
		}
		ss.handoffNote = strings.Join(append(note, ss.refusals(refused)...), " ")
	}
	return pid, true, nil
}

// handoffPatron finds the patron of a handoff code given as the card.
func (ss *session) handoffCard(ctx context.Context, card string) (*domain.Patron, bool, error) {
	pid, ok, err := ss.handoff(ctx, card)
	if !ok || err != nil {
		return nil, ok, err
	}
	st, err := ss.lib.patrons.Status(ctx, pid)
	if err != nil {
		return nil, true, err
	}
	return st.Patron, true, nil
}

// takeNote returns the pending handoff note once.
func (ss *session) takeNote() string {
	n := ss.handoffNote
	ss.handoffNote = ""
	return n
}
