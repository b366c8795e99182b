package web

import (
	"regexp"
	"strconv"
	"strings"
)

// A fee line's description is written by the branch in English for staff
// ("Overdue: The Long Winter (3 days late)", "Payment", "Lost item: …"),
// or typed by staff at the desk. The patron reads it in their language:
// the descriptions the branch writes are recognised and said again from
// the catalogue (the title in them stays as catalogued); a desk note that
// is just a fee type ("damage", "Damage", "Replacement card") is that
// type's name; any other note stays as staff wrote it.

// feeKinds are the fee line kinds, each with a name in the catalogues.
var feeKinds = []string{"overdue", "lost", "processing", "manual", "damage", "card_replacement", "payment", "waiver", "credit", "refund"}

var (
	feeLate       = regexp.MustCompile(`^Overdue: (.*) \((\d+) days? late\)$`)
	feeLateRenew  = regexp.MustCompile(`^Overdue at renewal: (.*) \((\d+) days? late\)$`)
	feeLost       = regexp.MustCompile(`^Lost item: (.*)$`)
	feeProcessing = regexp.MustCompile(`^Processing fee: (.*)$`)
	feeWaived     = regexp.MustCompile(`^Waived: (.*)$`)
)

// fixedFeeTexts are the descriptions the branch writes word for word.
var fixedFeeTexts = map[string]string{
	"Online payment":                    "feedesc.online_payment",
	"Refund of overpayment":             "feedesc.refund_overpayment",
	"Item found: lost charge cancelled": "feedesc.item_found",
}

// Fee is what a fee line says to the patron: its kind's name and, when it
// says more, its description in the patron's language.
func (p printer) Fee(kind, desc string) string {
	name := p.T("fee." + kind)
	desc = strings.TrimSpace(desc)
	more := p.feeDesc(kind, desc)
	if more == "" || strings.EqualFold(more, name) {
		return name
	}
	return name + ": " + more
}

func (p printer) feeDesc(kind, desc string) string {
	if desc == "" {
		return ""
	}
	if k, ok := fixedFeeTexts[desc]; ok {
		return p.T(k)
	}
	if m := feeLate.FindStringSubmatch(desc); m != nil {
		n, _ := strconv.Atoi(m[2])
		return p.N("feedesc.late", n, m[1])
	}
	if m := feeLateRenew.FindStringSubmatch(desc); m != nil {
		n, _ := strconv.Atoi(m[2])
		return p.N("feedesc.late_renewal", n, m[1])
	}
	if m := feeLost.FindStringSubmatch(desc); m != nil && kind == "lost" {
		return m[1]
	}
	if m := feeProcessing.FindStringSubmatch(desc); m != nil && kind == "processing" {
		return m[1]
	}
	if m := feeWaived.FindStringSubmatch(desc); m != nil && kind == "waiver" {
		return m[1] // the reason staff gave
	}
	if desc == "Payment" && kind == "payment" {
		return ""
	}
	// A note that is a fee type, by its code or its name in a language.
	for _, k := range feeKinds {
		if strings.EqualFold(desc, k) || strings.EqualFold(strings.ReplaceAll(desc, " ", "_"), k) {
			return p.T("fee." + k)
		}
		for _, l := range p.c.langs {
			if strings.EqualFold(desc, p.c.msgs[l]["fee."+k]) {
				return p.T("fee." + k)
			}
		}
	}
	return desc
}
