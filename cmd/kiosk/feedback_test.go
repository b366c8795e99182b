package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
)

// TestKioskFeedback runs branchd and the kiosk as processes: a patron's
// session ends with the survey (script mode), answered anonymously, and
// the results count it on the kiosk channel; a second session of the same
// patron is not invited (one invitation per 30 days). Texts in Finnish are
// the kiosk's own.
func TestKioskFeedback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, br.API+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=5", &items)
	if len(items) < 2 {
		t.Fatal("too few available books in the demo")
	}
	var card string
	for i := 1; i <= 400 && card == ""; i++ {
		c := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, br.API+"/api/v1/patrons?cardnumber="+c, &ps)
		if len(ps) == 0 {
			continue
		}
		var st domain.PatronStatus
		getJSON(t, br.API+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st)
		if st.CanBorrow {
			card = c
		}
	}
	if card == "" {
		t.Fatal("no demo patron who may borrow")
	}
	run := func(lang, barcode string) string {
		t.Helper()
		script := filepath.Join(t.TempDir(), "session.kiosk")
		must(t, os.WriteFile(script, []byte(fmt.Sprintf("identify %s 1234\ncheckout %s\nfeedback 4 9 anon Quick and easy\nend\n", card, barcode)), 0o644))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, b["kiosk"], "--acs", br.SIP, "--api", br.API, "--lang", lang, "script", script).CombinedOutput()
		t.Logf("kiosk output:\n%s", out)
		if err != nil {
			t.Fatalf("kiosk: %v\nbranchd log:\n%s", err, br.Logs.String())
		}
		return string(out)
	}
	if out := run("en", items[0].Barcode); !strings.Contains(out, "feedback ok: Thank you for your answer!") {
		t.Fatalf("no survey at the end of the session")
	}
	if out := run("fi", items[1].Barcode); !strings.Contains(out, "feedback refused: Ei kyselyä tällä kertaa.") {
		t.Fatalf("a second survey within 30 days")
	}
	var res []domain.FeedbackResult
	getJSON(t, br.API+"/api/v1/feedback/results", &res)
	if len(res) != 1 || res[0].Channel != domain.ChannelKiosk || res[0].Answers != 1 || res[0].Invitations != 1 ||
		*res[0].NPS != 100 || *res[0].CSAT != 100 || *res[0].ResponseRate != 100 {
		t.Fatalf("results %+v", res)
	}
	var as []domain.FeedbackAnswer
	getJSON(t, br.API+"/api/v1/feedback", &as)
	if len(as) != 1 || !as[0].Anonymous || as[0].PatronID != "" || as[0].Comment != "Quick and easy" || as[0].Kind != domain.FeedbackKioskSession {
		t.Fatalf("answers %+v", as)
	}
}
