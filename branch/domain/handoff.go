package domain

import "strings"

// The shape of handoff codes (branch/handoff), here so that clients (the
// desk, the kiosk) can tell a typed or scanned code from a card number
// without linking storage.

// HandoffAlphabet is a typed code's alphabet: digits and capitals without
// 0, O, 1, I and L, which are misread.
const HandoffAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// HandoffCodeLen is a typed code's length.
const HandoffCodeLen = 8

// HandoffQRPrefix starts a handoff code shown as a QR code.
const HandoffQRPrefix = "STACKS-HANDOFF:"

// NormalizeHandoff reads a typed or scanned code: the QR prefix dropped,
// spaces and dashes ignored, lower case raised; ok false when it cannot be
// a code.
func NormalizeHandoff(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= len(HandoffQRPrefix) && strings.EqualFold(s[:len(HandoffQRPrefix)], HandoffQRPrefix) {
		s = s[len(HandoffQRPrefix):]
	}
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) != HandoffCodeLen {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune(HandoffAlphabet, c) {
			return "", false
		}
	}
	return s, true
}

// LooksLikeHandoff reports whether s could be a handoff code: it reads as
// one and has a letter (every code made has one, so an all-digit PIN or
// card never looks like a code).
func LooksLikeHandoff(s string) bool {
	c, ok := NormalizeHandoff(s)
	return ok && strings.IndexFunc(c, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0
}
