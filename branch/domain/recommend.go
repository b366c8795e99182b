package domain

// Recommendation is a title suggested from what patrons borrowed
// together (branch/recommend). Patrons is how many distinct patrons
// borrowed it with the title (or titles) it is suggested for; for a
// suggestion by popularity, how many borrowed it at all.
type Recommendation struct {
	BiblioID string   `json:"biblio_id"`
	Title    string   `json:"title"`
	Authors  []string `json:"authors"`
	Patrons  int      `json:"patrons"`
	// Basis is why it is suggested: "also_borrowed" (borrowed together
	// with the title or the patron's titles) or "popular" (the fallback).
	Basis string `json:"basis"`
}

// The bases of a recommendation.
const (
	BasisAlsoBorrowed = "also_borrowed"
	BasisPopular      = "popular"
)

// Recommendations is an answer of the recommendations API.
type Recommendations struct {
	// BiblioID is the title they are for ("" for a patron's own).
	BiblioID string            `json:"biblio_id,omitempty"`
	Titles   []*Recommendation `json:"titles"`
}
