package domain

import (
	"slices"
	"strings"
)

// SearchQuery is a search: words, filters (AND across facets, OR within one)
// and an order.
type SearchQuery struct {
	Q           string
	Formats     []string
	Languages   []string
	AvailableAt []string // branches with a copy on the shelf now
	Libraries   []string // owning branches
	Audiences   []string
	Decades     []int // 1990 for the 1990s
	Authors     []string
	Subjects    []string
	Sort        string // "" or "relevance", "title", "author", "date", "popularity"
	Page        int    // from 1
	PerPage     int
}

// SearchSorts are the orders a search can take.
var SearchSorts = []string{"relevance", "title", "author", "date", "popularity"}

// Facet names, as the API spells them.
const (
	FacetFormat      = "format"
	FacetLanguage    = "language"
	FacetAvailableAt = "available_at"
	FacetLibrary     = "library_id"
	FacetAudience    = "audience"
	FacetDecade      = "decade"
	FacetAuthor      = "author"
	FacetSubject     = "subject"
)

// FacetNames are the facets, in the order they are shown.
var FacetNames = []string{FacetFormat, FacetLanguage, FacetAvailableAt, FacetLibrary, FacetAudience, FacetDecade, FacetAuthor, FacetSubject}

// MaxFacetValues is how many values of a facet are returned (the most
// frequent; the selected ones always).
const MaxFacetValues = 30

// FacetValue is a value of a facet and how many results have it.
type FacetValue struct {
	Value    string `json:"value"`
	Count    int    `json:"count"`
	Selected bool   `json:"selected,omitempty"`
}

// Work is one result: the editions and formats of one work.
type Work struct {
	WorkID   string    `json:"work_id"`
	Title    string    `json:"title"`
	Author   string    `json:"author,omitempty"`
	Formats  []string  `json:"formats"`
	Editions []*Biblio `json:"editions"`
	// AvailableAt lists the branches with a copy of some edition on the
	// shelf now; Online, that a digital edition has a licence.
	AvailableAt []string `json:"available_at"`
	Online      bool     `json:"online,omitempty"`
	Popularity  int      `json:"popularity"`
}

// SearchResult is a page of works, how many works match, and the facets.
type SearchResult struct {
	Total   int                     `json:"total"`
	Page    int                     `json:"page"`
	PerPage int                     `json:"per_page"`
	Works   []Work                  `json:"results"`
	Facets  map[string][]FacetValue `json:"facets"`
}

// Check refuses a query with unknown values.
func (q *SearchQuery) Check() error {
	if q.Sort != "" && !slices.Contains(SearchSorts, q.Sort) {
		return Invalid("Unknown sort %q (one of %s).", q.Sort, strings.Join(SearchSorts, ", "))
	}
	for _, a := range q.Audiences {
		if !slices.Contains(Audiences, a) && a != "unknown" {
			return Invalid("Unknown audience %q (one of %s, unknown).", a, strings.Join(Audiences, ", "))
		}
	}
	for _, f := range q.Formats {
		if !slices.Contains(Formats, f) {
			return Invalid("Unknown format %q (one of %s).", f, strings.Join(Formats, ", "))
		}
	}
	if len(q.Q) > 1000 {
		return Invalid("The search is too long (%d bytes, at most 1000).", len(q.Q))
	}
	if q.Page <= 0 {
		q.Page = 1
	}
	if q.PerPage <= 0 {
		q.PerPage = 20
	}
	q.PerPage = min(q.PerPage, 100)
	return nil
}
