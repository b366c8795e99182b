package node

import (
	"context"
	"strings"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/search"
)

// webSearcher answers the patron web's searches from the catalogue's index
// (relevance ladder, accent folding, stemming, editions of a work side by
// side); an ISBN or an empty search goes to the service as before.
type webSearcher struct {
	idx *search.Index
	svc *branch.Service
}

func (w webSearcher) SearchBiblios(ctx context.Context, term, isbn string, limit, offset int) ([]*domain.Biblio, error) {
	if w.idx == nil || isbn != "" || strings.TrimSpace(term) == "" || limit <= 0 || offset < 0 {
		return w.svc.SearchBiblios(ctx, term, isbn, limit, offset)
	}
	// The web pages by titles: take works from the first until the titles
	// reach offset+limit (a work lists each of its editions).
	var out []*domain.Biblio
	for page := 1; len(out) < offset+limit; page++ {
		res, err := w.idx.Search(ctx, domain.SearchQuery{Q: term, Page: page, PerPage: 100})
		if err != nil {
			return nil, err
		}
		for _, wk := range res.Works {
			out = append(out, wk.Editions...)
		}
		if len(res.Works) < 100 || page*100 >= res.Total {
			break
		}
	}
	if offset >= len(out) {
		return nil, nil
	}
	return out[offset:min(len(out), offset+limit)], nil
}

// Search answers the web's search page from the index: works with their
// editions, the total and the facet counts (as GET /api/v1/biblios).
func (w webSearcher) Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error) {
	return w.idx.Search(ctx, q)
}

// Editions is every edition and format of a title's work, for the title
// page.
func (w webSearcher) Editions(ctx context.Context, biblioID string) ([]*domain.Biblio, error) {
	return w.idx.Editions(ctx, biblioID)
}
