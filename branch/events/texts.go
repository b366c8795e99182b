package events

import (
	"strings"

	"stacks/branch/domain"
)

// Patron-facing texts of refusals and statuses, in English and Finnish
// (the API's Accept-Language, the web's language).
var texts = map[string][2]string{
	"cancelled":  {"This event has been cancelled.", "Tämä tapahtuma on peruttu."},
	"dropin":     {"This event is drop-in: no registration is needed, just come.", "Tähän tapahtumaan ei tarvitse ilmoittautua: tule paikalle."},
	"notyet":     {"Registration for this event has not opened yet.", "Ilmoittautuminen tähän tapahtumaan ei ole vielä alkanut."},
	"closed":     {"Registration for this event has closed.", "Ilmoittautuminen tähän tapahtumaan on päättynyt."},
	"offline":    {"Event registration is not available here right now. Please try again shortly.", "Tapahtumiin ilmoittautuminen ei ole juuri nyt käytettävissä täällä. Yritä hetken päästä uudelleen."},
	"registered": {"You are registered. Show your ticket at the door.", "Olet ilmoittautunut. Näytä lippusi ovella."},
	"waitlisted": {"The event is full, so you are on the waitlist. We will tell you if a seat comes free.",
		"Tapahtuma on täynnä, joten olet jonossa. Kerromme, jos paikka vapautuu."},
	"waitlisted_maybe": {"No seat could be confirmed from this branch right now, so you are on the waitlist. The event may not be full: we will tell you as soon as a seat is confirmed for you.",
		"Tästä kirjastosta ei juuri nyt voitu vahvistaa paikkaa, joten olet jonossa. Tapahtuma ei välttämättä ole täynnä: kerromme heti, kun paikkasi vahvistuu."},
}

// Lang is "fi" when an Accept-Language (or a language code) prefers
// Finnish, else "en".
func Lang(accept string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(accept)), "fi") {
		return "fi"
	}
	return "en"
}

func text(lang, key string) string {
	t := texts[key]
	if lang == "fi" {
		return t[1]
	}
	return t[0]
}

// statusMessage tells the patron what their registration's status means.
func statusMessage(r *domain.EventRegistration, offline bool, lang string) string {
	switch {
	case r.Status == domain.EventRegistered:
		return text(lang, "registered")
	case r.Status == domain.EventWaitlisted && (offline || (r.Event != nil && r.Event.SeatsFree > 0)):
		return text(lang, "waitlisted_maybe")
	case r.Status == domain.EventWaitlisted:
		return text(lang, "waitlisted")
	}
	return ""
}
