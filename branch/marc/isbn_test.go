package marc

import "testing"

// TestISBN is the table of how a 020 is read: the ISBN-10 and ISBN-13 of
// one book are one key; 979 has no ISBN-10; qualifiers, prices, hyphens
// and spaces do not matter; X is a check digit only in tenth place; a
// wrong check digit is kept (recomputed in the key); what is not an ISBN
// is "".
func TestISBN(t *testing.T) {
	for _, tc := range []struct {
		in, digits, isbn13, isbn10 string
	}{
		{"0306406152", "0306406152", "9780306406157", "0306406152"},
		{"9780306406157", "9780306406157", "9780306406157", "0306406152"},
		{"978-0-306-40615-7", "9780306406157", "9780306406157", "0306406152"},
		{"0-306-40615-2 (pbk.)", "0306406152", "9780306406157", "0306406152"},
		{"0306406152 (pbk.) : $12.00", "0306406152", "9780306406157", "0306406152"},
		{"ISBN 978-0-306-40615-7 : $12", "9780306406157", "9780306406157", "0306406152"},
		{"isbn: 0 306 40615 2", "0306406152", "9780306406157", "0306406152"},
		{"978 0 306 40615 7", "9780306406157", "9780306406157", "0306406152"},
		{"080442957X", "080442957X", "9780804429573", "080442957X"},
		{"080442957x (v. 1)", "080442957X", "9780804429573", "080442957X"},
		{"0-8044-2957-X", "080442957X", "9780804429573", "080442957X"},
		{"9791234567896", "9791234567896", "9791234567896", ""},
		{"979-12-345-6789-6 (ebook)", "9791234567896", "9791234567896", ""},
		// Wrong check digits: kept; the key recomputes it.
		{"0306406153", "0306406153", "9780306406157", "0306406152"},
		{"9780306406150", "9780306406150", "9780306406157", "0306406152"},
		// Two numbers in one subfield: the first.
		{"0306406152 9780804429573", "0306406152", "9780306406157", "0306406152"},
		// Not ISBNs.
		{"4006381333931", "", "", ""}, // an EAN that is no book's
		{"9771234567003", "", "", ""}, // an ISSN's EAN
		{"X306406152", "", "", ""},
		{"03064X6152", "", "", ""},
		{"HL00361126 :", "", "", ""},
		{"12345", "", "", ""},
		{"030640615212", "", "", ""},
		{"", "", "", ""},
	} {
		if got := isbnDigits(tc.in); got != tc.digits {
			t.Errorf("isbnDigits(%q) = %q, want %q", tc.in, got, tc.digits)
		}
		got13 := ISBN13(tc.in)
		if got13 != tc.isbn13 {
			t.Errorf("ISBN13(%q) = %q, want %q", tc.in, got13, tc.isbn13)
		}
		if got13 != "" {
			if got := ISBN10(got13); got != tc.isbn10 {
				t.Errorf("ISBN10(%q) = %q, want %q", got13, got, tc.isbn10)
			}
			if !isbnChecksumOK(got13) {
				t.Errorf("ISBN13(%q) = %q has a wrong check digit", tc.in, got13)
			}
		}
	}
}
