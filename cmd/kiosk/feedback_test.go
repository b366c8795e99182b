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
	"stacks/node/e2etest"
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
	card, items := feedbackBorrower(t, br.API)
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
	if out := run("en", items[0]); !strings.Contains(out, "feedback ok: Thank you for your answer!") {
		t.Fatalf("no survey at the end of the session")
	}
	if out := run("fi", items[1]); !strings.Contains(out, "feedback refused: Ei kyselyä tällä kertaa.") {
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

// feedbackBorrower is a demo patron who may borrow and two books on the shelf.
func feedbackBorrower(t *testing.T, api string) (string, []string) {
	t.Helper()
	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, api+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=5", &items)
	if len(items) < 2 {
		t.Fatal("too few available books in the demo")
	}
	for i := 1; i <= 400; i++ {
		c := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, api+"/api/v1/patrons?cardnumber="+c, &ps)
		if len(ps) == 0 {
			continue
		}
		var st domain.PatronStatus
		getJSON(t, api+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st)
		if st.CanBorrow {
			return c, []string{items[0].Barcode, items[1].Barcode}
		}
	}
	t.Fatal("no demo patron who may borrow")
	return "", nil
}

// TestKioskFeedbackInTmux: at the kiosk in a real terminal, a patron who
// borrowed a book presses d; the survey is offered, a wrong number is
// refused in words and asked again, and the named answer is thanked for
// before the receipt. The kiosk finds nothing else to do it with than its
// --api and its kiosk account.
func TestKioskFeedbackInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	x := e2etest.NewTmux(t)
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	card, items := feedbackBorrower(t, br.API)
	x.Context = br.Logs.String
	x.Start("kiosk", 120, 40, b["kiosk"]+" --acs "+br.SIP+" --api "+br.API+" --location TMUX-KIOSK")
	x.WaitFor("kiosk", "Scan your library card")
	x.Send("kiosk", card, "Enter")
	x.WaitFor("kiosk", "PIN:")
	x.Send("kiosk", "1234", "Enter")
	x.WaitFor("kiosk", "[o] check out")
	x.Send("kiosk", "o", "Enter")
	x.WaitFor("kiosk", "Scan")
	x.Send("kiosk", items[0], "Enter")
	x.WaitFor("kiosk", "Checked out")
	x.Send("kiosk", "d", "Enter")
	x.WaitFor("kiosk", "Would you answer three short questions")
	x.Send("kiosk", "y", "Enter")
	x.WaitFor("kiosk", "How satisfied are you")
	x.Send("kiosk", "5", "Enter")
	x.WaitFor("kiosk", "How likely are you to recommend")
	x.Send("kiosk", "12", "Enter")
	x.WaitFor("kiosk", "Please type a number from 0 to 10.")
	x.Send("kiosk", "10", "Enter")
	x.WaitFor("kiosk", "Anything else")
	x.Send("kiosk", "Easy to use", "Enter")
	x.WaitFor("kiosk", "Answer anonymously")
	x.Send("kiosk", "n", "Enter")
	x.WaitFor("kiosk", "Thank you for your answer!", "Self-check receipt")
	var as []domain.FeedbackAnswer
	getJSON(t, br.API+"/api/v1/feedback", &as)
	if len(as) != 1 || as[0].Anonymous || as[0].PatronID == "" || *as[0].Score != 5 || *as[0].NPS != 10 || as[0].Comment != "Easy to use" {
		t.Fatalf("answers %+v", as)
	}
}
