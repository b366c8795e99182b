package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node/apitype"
)

type sink struct{ sent []notices.Message }

func (s *sink) Send(_ context.Context, m notices.Message) error {
	s.sent = append(s.sent, m)
	return nil
}

func TestNoticeRoutes(t *testing.T) {
	f := newFixture(t)
	alice := f.patrons["Alice"].PatronID
	t.Run("OverdueRules", func(t *testing.T) {
		var r domain.OverdueRule
		f.do("PUT", "/api/v1/notice_rules/overdue", map[string]any{"library_id": "MAIN", "category_id": "ADULT", "level": 1, "delay_days": 3, "block": true}).
			want(t, http.StatusOK, &r)
		if r.DelayDays != 3 || !r.Block {
			t.Errorf("rule %+v", r)
		}
		f.do("PUT", "/api/v1/notice_rules/overdue", map[string]any{"library_id": "MAIN", "category_id": "ADULT", "level": 9}).
			wantProblem(t, http.StatusBadRequest, "invalid")
		var rs []domain.OverdueRule
		f.do("GET", "/api/v1/notice_rules/overdue", nil).want(t, http.StatusOK, &rs)
		if len(rs) != 1 {
			t.Errorf("rules %+v", rs)
		}
		f.do("DELETE", "/api/v1/notice_rules/overdue/MAIN/ADULT/1", nil).want(t, http.StatusNoContent, nil)
		f.do("DELETE", "/api/v1/notice_rules/overdue/MAIN/ADULT/1", nil).wantProblem(t, http.StatusNotFound, "not_found")
	})
	t.Run("PatronNoticesAndResend", func(t *testing.T) {
		// Another node's engine sent the welcomes; this API reads the
		// records and, without a channel of its own, refuses to resend.
		s := &sink{}
		e := notices.New(f.svc, notices.Config{Node: "sender", Sender: s})
		_, err := e.Step(f.admin)
		must(t, err)
		var got apitype.PatronNotices
		f.do("GET", "/api/v1/patrons/"+alice+"/notices", nil).want(t, http.StatusOK, &got)
		if len(got.Notices) != 1 || got.Notices[0].Kind != notices.KindWelcome || got.Notices[0].Status != notices.StatusSent ||
			got.ContactFlags == nil {
			t.Fatalf("notices %+v", got)
		}
		f.do("POST", "/api/v1/notices/"+got.Notices[0].Key+"/resend", nil).wantProblem(t, http.StatusServiceUnavailable, "notices_unavailable")
		f.do("GET", "/api/v1/patrons/nobody/notices", nil).wantProblem(t, http.StatusNotFound, "patron_not_found")
		var print []notices.PrintItem
		f.do("GET", "/api/v1/notices/print?library_id=MAIN", nil).want(t, http.StatusOK, &print)
		if len(print) == 0 || print[0].Message.Channel != notices.ChannelPrint {
			t.Errorf("print list %+v (patrons without email or phone go on it)", print)
		}
	})
}
