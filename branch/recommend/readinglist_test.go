package recommend_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
)

type sent struct {
	mu sync.Mutex
	ms []notices.Message
}

func (s *sent) Send(_ context.Context, m notices.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ms = append(s.ms, m)
	return nil
}

func (s *sent) lists() []notices.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []notices.Message
	for _, m := range s.ms {
		if m.Kind == notices.KindReadingList {
			out = append(out, m)
		}
	}
	return out
}

// TestReadingListSuggestions: the monthly reading list of a patron who
// opted in to it takes their suggestions once they turn suggestions on,
// and none before (a month with nothing new and no suggestions sends
// nothing).
func TestReadingListSuggestions(t *testing.T) {
	e := open(t, 1, []string{"Alpha", "Beta"}, 5)
	for i := range 5 {
		e.borrow(t, i, true, "Alpha", "Beta")
	}
	reader, err := e.Service.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: "21000000009999", Firstname: "Rita", Surname: "Reader",
		Category: "ADULT", PIN: "1234", Email: "rita@example.org"})
	must(t, err)
	e.patrons = append(e.patrons, reader)
	e.borrow(t, 5, false, "Alpha")
	prefs := patronprefs.New(e.Service)
	_, err = prefs.SetMessaging(e.ctx, reader.PatronID, domain.MessagingPrefs{Channel: "email", DaysInAdvance: 3,
		Notices: []string{domain.NoticeReadingList}})
	must(t, err)
	out := &sent{}
	eng := notices.New(e.Service, notices.Config{Node: "1", Sender: out, Suggester: recommend.ReadingList{}})
	step := func() {
		t.Helper()
		_, err := eng.Step(e.ctx)
		must(t, err)
	}
	e.Clock.Advance(40 * 24 * time.Hour) // the titles are no longer new
	step()
	step()
	if ls := out.lists(); len(ls) != 0 {
		t.Fatalf("suggestions off, nothing new: sent %+v", ls)
	}
	must(t, prefs.SetSuggestions(e.ctx, reader.PatronID, true))
	e.Clock.Advance(31 * 24 * time.Hour)
	step()
	step()
	ls := out.lists()
	if len(ls) != 1 || len(ls[0].Lines) != 1 || ls[0].Lines[0].Title != "Beta" || ls[0].Lines[0].Author != "Author Beta" {
		t.Fatalf("reading lists %s", fmt.Sprintf("%+v", ls))
	}
}
