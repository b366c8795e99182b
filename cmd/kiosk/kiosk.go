package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"stacks/hardware/sip2"
)

// kiosk is one self-check station talking to an ACS.
type kiosk struct {
	cl       *sip2.Client
	out      io.Writer
	inst     string // institution ID (AO), learned from 98
	library  string // library name (AM)
	location string
	txn      int

	card, pin, name string
	lines           map[string][]string // receipt sections
	paid            []string

	texts catalogue
	rfid  *rfidPad // the RFID pad (--rfid), or nil
	// lang is the language of the screens now; chosen is the one the
	// patron picked on the first screen, restored when a session ends.
	lang, chosen string

	// help is "ask for help" through the appliance's API (help.go).
	help *helpState
	// fb is branchd's API for the survey; nil: no survey (feedback.go).
	fb *feedbackAPI
	// printer prints receipts, with --printer (printing.go).
	printer *receiptPrinter
}

func (k *kiosk) printf(format string, args ...any) { fmt.Fprintf(k.out, format, args...) }

// hello sends SC status and learns the institution.
func (k *kiosk) hello() error {
	r, err := k.cl.Status()
	if err != nil {
		return err
	}
	if r.Code != sip2.ACSStatus {
		return fmt.Errorf("unexpected answer to SC status: %s", r)
	}
	if k.inst == "" {
		k.inst = r.Value("AO")
	}
	k.library = r.Value("AM")
	if r.Fixed[0] != 'Y' {
		return fmt.Errorf("the library system is off-line: %s", r.Value("AF"))
	}
	return nil
}

// result is one transaction's outcome in words.
type result struct {
	ok  bool
	msg string
}

func (r result) String() string {
	if r.ok {
		return "ok: " + r.msg
	}
	return "refused: " + r.msg
}

// identify checks a card and PIN (23).
func (k *kiosk) identify(card, pin string) (result, error) {
	r, err := k.cl.PatronStatus(k.inst, card, pin)
	if err != nil {
		return result{}, err
	}
	if r.Value("BL") != "Y" || r.Value("CQ") != "Y" {
		return result{msg: k.refusal(r, pin != "")}, nil
	}
	k.card, k.pin, k.name = card, pin, r.Value("AE")
	k.lines = map[string][]string{}
	k.paid = nil
	// The ACS answers with the patron's own language, if they chose one.
	if len(r.Fixed) >= 17 {
		if l := sip2.LanguageOf(r.Fixed[14:17]); l != "" {
			k.setLanguage(l)
		}
	}
	msg := r.Value("AF")
	if bv := r.Value("BV"); bv != "" && bv != "0.00" {
		msg += " " + k.T("you_owe", bv, r.Value("BH"))
	}
	return result{ok: true, msg: msg}, nil
}

// refusal is the words for a 24 that does not let the patron in: the
// ACS's own (AF), else what BL and CQ say, since an ACS need not send AF
// (ours sends none for a known card without a PIN).
func (k *kiosk) refusal(r *sip2.Message, pinGiven bool) string {
	switch {
	case r.Value("AF") != "":
		return r.Value("AF")
	case r.Value("BL") != "Y":
		return k.T("card_unknown")
	case !pinGiven:
		return k.T("enter_pin")
	}
	return k.T("wrong_pin")
}

var errNoPatron = fmt.Errorf("no patron: identify first")

// The receipt's sections (keys receipt.checked_out, ...).
const (
	secCheckedOut = "checked_out"
	secRenewed    = "renewed"
	secReturned   = "returned"
)

func (k *kiosk) record(section string, r *sip2.Message, fallback string) {
	line := r.Value("AG")
	if line == "" {
		line = fallback
	}
	k.lines[section] = append(k.lines[section], line)
}

func (k *kiosk) checkout(barcode string) (result, error) {
	if k.card == "" {
		return result{}, errNoPatron
	}
	r, err := k.cl.Checkout(k.inst, k.card, k.pin, barcode)
	if err != nil {
		return result{}, err
	}
	if r.Code != sip2.CheckoutResp || r.Fixed[0] != '1' {
		return result{msg: r.Value("AF")}, nil
	}
	section := secCheckedOut
	if r.Fixed[1] == 'Y' {
		section = secRenewed
	}
	k.record(section, r, r.Value("AJ"))
	return result{ok: true, msg: k.withParts(r)}, nil
}

// withParts adds the item's properties (CH) to the screen message: a copy
// in several parts ("DVD 2 discs, booklet") is checked part by part.
func (k *kiosk) withParts(r *sip2.Message) string {
	if p := r.Value("CH"); p != "" {
		return r.Value("AF") + " " + k.T("parts", p)
	}
	return r.Value("AF")
}

func (k *kiosk) checkin(barcode string) (result, error) {
	r, err := k.cl.Checkin(k.inst, k.location, barcode)
	if err != nil {
		return result{}, err
	}
	if r.Code != sip2.CheckinResp || r.Fixed[0] != '1' {
		return result{msg: r.Value("AF")}, nil
	}
	if k.lines != nil {
		k.lines[secReturned] = append(k.lines[secReturned], r.Value("AJ"))
	}
	return result{ok: true, msg: k.withParts(r)}, nil
}

func (k *kiosk) renew(barcode string) (result, error) {
	if k.card == "" {
		return result{}, errNoPatron
	}
	r, err := k.cl.Renew(k.inst, k.card, k.pin, barcode)
	if err != nil {
		return result{}, err
	}
	if r.Code != sip2.RenewResp || r.Fixed[0] != '1' {
		return result{msg: r.Value("AF")}, nil
	}
	k.record(secRenewed, r, r.Value("AJ"))
	return result{ok: true, msg: r.Value("AF")}, nil
}

func (k *kiosk) renewAll() (result, error) {
	if k.card == "" {
		return result{}, errNoPatron
	}
	r, err := k.cl.RenewAll(k.inst, k.card, k.pin)
	if err != nil {
		return result{}, err
	}
	for _, b := range r.All("BM") {
		k.lines[secRenewed] = append(k.lines[secRenewed], b)
	}
	return result{ok: r.Code == sip2.RenewAllResp && r.Fixed[0] == '1', msg: r.Value("AF")}, nil
}

func (k *kiosk) pay(amount string) (result, error) {
	if k.card == "" {
		return result{}, errNoPatron
	}
	k.txn++
	tx := fmt.Sprintf("%s-%d-%d", k.location, time.Now().UnixNano(), k.txn)
	r, err := k.cl.FeePaid(k.inst, k.card, k.pin, amount, currencyOf(k), tx)
	if err != nil {
		return result{}, err
	}
	if r.Code != sip2.FeePaidResp || r.Fixed[0] != 'Y' {
		return result{msg: r.Value("AF")}, nil
	}
	k.paid = append(k.paid, r.Value("AG"))
	return result{ok: true, msg: r.Value("AF")}, nil
}

// currencyOf is the currency to pay in: blank lets the ACS use its own.
func currencyOf(*kiosk) string { return "   " }

func (k *kiosk) info(barcode string) (result, error) {
	r, err := k.cl.ItemInfo(k.inst, barcode)
	if err != nil {
		return result{}, err
	}
	if r.Value("AJ") == "" {
		return result{msg: r.Value("AF")}, nil
	}
	status := k.T("status.other")
	switch r.Fixed[:2] {
	case "03", "04", "08", "10", "12", "13":
		status = k.T("status." + r.Fixed[:2])
	}
	return result{ok: true, msg: k.T("info.is", r.Value("AJ"), status)}, nil
}

// end finishes the patron's session (35) and prints the receipt.
func (k *kiosk) end() (result, error) {
	if k.card == "" {
		return result{ok: true, msg: k.T("goodbye")}, nil
	}
	r, err := k.cl.EndSession(k.inst, k.card, k.pin)
	if err != nil {
		return result{}, err
	}
	k.showReceipt()
	k.card, k.pin, k.name, k.lines, k.paid = "", "", "", nil, nil
	k.setLanguage(k.chosen)
	return result{ok: true, msg: r.Value("AF")}, nil
}

// receipt prints what happened in the patron's session.
func (k *kiosk) receipt() {
	rule := strings.Repeat("-", 40)
	k.printf("%s\n%s\n%s\n", rule, k.library, k.T("receipt.title", time.Now().Format("2006-01-02 15:04")))
	card := k.card
	if len(card) > 4 {
		card = strings.Repeat("*", len(card)-4) + card[len(card)-4:]
	}
	k.printf("%s\n", k.T("receipt.card", card, k.name))
	for _, section := range []string{secCheckedOut, secRenewed, secReturned} {
		if ls := k.lines[section]; len(ls) > 0 {
			k.printf("%s\n", k.T("receipt."+section))
			for _, l := range ls {
				k.printf("  %s\n", l)
			}
		}
	}
	for _, p := range k.paid {
		k.printf("%s\n", p)
	}
	k.printf("%s\n%s\n", k.T("receipt.thanks"), rule)
}
