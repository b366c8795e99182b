package client

import (
	"context"
	"net/url"
	"strconv"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// SearchBiblios finds titles by words of title, author, subject, series,
// ISBN, publisher or notes: the editions of the best works, best first.
func (c *Client) SearchBiblios(ctx context.Context, term string, max int) ([]*domain.Biblio, error) {
	res, err := c.Search(ctx, domain.SearchQuery{Q: term, PerPage: max})
	if err != nil {
		return nil, err
	}
	bs := []*domain.Biblio{}
	for _, w := range res.Works {
		bs = append(bs, w.Editions...)
	}
	return bs, nil
}

// Search searches the catalogue: grouped works, the total and the facets.
func (c *Client) Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error) {
	v := SearchValues(q)
	if q.Page > 1 {
		v.Set(apitype.ParamPage, strconv.Itoa(q.Page))
	}
	var res domain.SearchResult
	return &res, c.do(ctx, "GET", pathOf("biblios"), page(v, q.PerPage), nil, &res)
}

// Editions lists every edition and format of a title's work.
func (c *Client) Editions(ctx context.Context, biblioID string) ([]*domain.Biblio, error) {
	var bs []*domain.Biblio
	return bs, c.do(ctx, "GET", pathOf("biblios", biblioID, "editions"), nil, nil, &bs)
}

// Availability is a title's copies and how many are available, per branch.
func (c *Client) Availability(ctx context.Context, biblioID string) (*domain.Availability, error) {
	var a domain.Availability
	return &a, c.do(ctx, "GET", pathOf("biblios", biblioID, "availability"), nil, nil, &a)
}

// ItemByBarcode finds one item; branch's item_not_found if none.
func (c *Client) ItemByBarcode(ctx context.Context, barcode string) (*domain.Item, error) {
	var is []*domain.Item
	if err := c.do(ctx, "GET", pathOf("items"), url.Values{"barcode": {barcode}}, nil, &is); err != nil {
		return nil, err
	}
	if len(is) == 0 {
		return nil, &Error{Status: 404, Code: domain.CodeItemNotFound, Detail: "No item has barcode " + barcode + "."}
	}
	return is[0], nil
}

// PlaceHold places a hold on a title (or one item) for a patron.
func (c *Client) PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error) {
	var h domain.Hold
	return &h, c.do(ctx, "POST", pathOf("holds"), nil, req, &h)
}

// CancelHold cancels a hold.
func (c *Client) CancelHold(ctx context.Context, id, reason string) (*domain.Hold, error) {
	var h domain.Hold
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return &h, c.do(ctx, "DELETE", pathOf("holds", id), q, nil, &h)
}

// HoldShelf is this branch's hold shelf: holds ready, expired ones to
// clear, and items to pull for waiting holds.
func (c *Client) HoldShelf(ctx context.Context) (*domain.HoldShelf, error) {
	var s domain.HoldShelf
	return &s, c.do(ctx, "GET", pathOf("holds", "shelf"), nil, nil, &s)
}

// ExpireHolds expires the holds whose shelf time has passed and returns
// them.
func (c *Client) ExpireHolds(ctx context.Context) ([]*domain.Hold, error) {
	var hs []*domain.Hold
	return hs, c.do(ctx, "POST", pathOf("holds", "expire"), nil, nil, &hs)
}

// SearchValues are q's words, filters and sort as query parameters, named
// as both GET /api/v1/biblios and the patron web's /search read them
// (paging is the caller's: the two name it differently).
func SearchValues(q domain.SearchQuery) url.Values {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	for name, vals := range map[string][]string{domain.FacetFormat: q.Formats, domain.FacetLanguage: q.Languages,
		domain.FacetAvailableAt: q.AvailableAt, domain.FacetLibrary: q.Libraries, domain.FacetAudience: q.Audiences,
		domain.FacetAuthor: q.Authors, domain.FacetSubject: q.Subjects} {
		for _, x := range vals {
			v.Add(name, x)
		}
	}
	for _, d := range q.Decades {
		v.Add(domain.FacetDecade, strconv.Itoa(d))
	}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
	}
	return v
}
