package main

import (
	"embed"
	"fmt"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// The kiosk's own screens (prompts, the menu, the receipt and the words it
// adds to the ACS's) are in a catalogue per language, locales/en.json and
// locales/fi.json, flat maps from key to an fmt format, as the patron
// web's. What the ACS says (AF, AG) comes in the patron's language from
// branchd. The patron picks a language on the first screen (l); once they
// are identified, the language their account prefers (the language field
// of the ACS's 24) takes over until the session ends.

//go:embed locales/*.json
var localeFS embed.FS

// languages the kiosk speaks; the first is its default.
var languages = []string{"en", "fi"}

type catalogue map[string]map[string]string

func loadTexts() (catalogue, error) {
	c := catalogue{}
	for _, l := range languages {
		m, err := domain.LoadTexts(localeFS, "locales", l)
		if err != nil {
			return nil, fmt.Errorf("kiosk: texts: %w", err)
		}
		c[l] = m
	}
	return c, nil
}

func (c catalogue) speaks(l string) bool { _, ok := c[l]; return ok }

// T is key in the kiosk's current language, formatted with args.
func (k *kiosk) T(key string, args ...any) string {
	f, ok := k.texts[k.lang][key]
	if !ok {
		f, ok = k.texts[languages[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// setLanguage switches the kiosk's screens to l and tells the ACS (the
// language field of 23 and 63).
func (k *kiosk) setLanguage(l string) {
	if !k.texts.speaks(l) {
		return
	}
	k.lang = l
	if k.cl != nil {
		k.cl.Language = sip2.LanguageCode(l)
	}
}

// nextLanguage is the language the first screen's l key switches to.
func (k *kiosk) nextLanguage() string {
	for i, l := range languages {
		if l == k.lang {
			return languages[(i+1)%len(languages)]
		}
	}
	return languages[0]
}
