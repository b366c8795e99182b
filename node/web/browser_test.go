package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"stacks/branch/domain"
)

// The browser tests drive Debian's Chromium headless through the patron
// journeys three ways: with the mouse (clicks), with JavaScript disabled,
// and with the keyboard alone (Tab to reach each control, Enter to use
// it). On every page they visit with scripts on, axe-core checks WCAG 2.2
// AA. Screenshots of the main pages go to $STACKS_ARTEFACTS/web (a temp
// dir when unset).
//
// CI (.ci/run) sets STACKS_CI=1 and STACKS_AXE_JS to the axe.min.js it
// installed with npm: there a missing Chromium or axe fails the test;
// elsewhere the test says what is missing and skips.

// axeTags are the rule sets axe runs: WCAG 2.0, 2.1 and 2.2, A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

const defaultAxe = "/opt/axe/node_modules/axe-core/axe.min.js"

type harness struct {
	t       *testing.T
	browser context.Context
	axe     string // axe.min.js, or "" when absent outside CI
	shots   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ci := os.Getenv("STACKS_CI") != ""
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if ci {
			t.Fatal("chromium is not installed, and CI says it is (.ci/run installs it)")
		}
		t.Skip("chromium is not installed: apt-get install chromium to run the browser tests")
	}
	axePath := os.Getenv("STACKS_AXE_JS")
	if axePath == "" {
		axePath = defaultAxe
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		if ci {
			t.Fatalf("axe-core is missing at %s, and CI says it is there (.ci/run installs it with npm): %v", axePath, err)
		}
		t.Logf("axe-core is missing at %s (npm install --prefix /opt/axe axe-core): accessibility checks skipped", axePath)
	}
	shots := os.Getenv("STACKS_ARTEFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shots = filepath.Join(shots, "web")
	must(t, os.MkdirAll(shots, 0o755))
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("lang", "en-US"), chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	must(t, chromedp.Do(browser)) // start it
	return &harness{t: t, browser: browser, axe: string(axe), shots: shots}
}

// mode is how a journey's patron uses the browser.
type mode string

const (
	mouse    mode = "mouse"
	noScript mode = "nojs"
	keyboard mode = "keyboard"
)

var modes = []mode{mouse, noScript, keyboard}

// tab is one journey in a fresh tab with no cookies.
type tab struct {
	h    *harness
	t    *testing.T
	ctx  context.Context
	mode mode
	base string
}

func (h *harness) tab(t *testing.T, m mode, base string) *tab {
	ctx, cancel := chromedp.NewContext(h.browser)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	tb := &tab{h: h, t: t, ctx: ctx, mode: m, base: base}
	tb.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}), chromedp.EmulateViewport(390, 844))
	if m == noScript {
		tb.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	return tb
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", tb.mode, err)
	}
}

// get runs an action that returns a value.
func get[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v", tb.mode, err)
	}
	return v
}

func (tb *tab) open(path, waitFor string) {
	tb.t.Helper()
	tb.run(chromedp.Navigate(tb.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// focusByTab presses Tab until the element matching sel has the focus.
func (tb *tab) focusByTab(sel string) {
	tb.t.Helper()
	check := fmt.Sprintf(`!!(document.activeElement && document.activeElement.matches(%q))`, sel)
	for range 120 {
		if get(tb, chromedp.Evaluate[bool](check)) {
			return
		}
		tb.run(chromedp.KeyEvent(kb.Tab))
	}
	tb.t.Fatalf("keyboard: Tab never reaches %s", sel)
}

// activate follows a link or presses a button: a click, or Tab to it and
// Enter.
//
// When waitFor is on the page already (a form whose answer is a page like
// the one it was sent from), it waits for a new document holding it: the
// page before is marked, and the mark must be gone, or the next step would
// race the navigation.
func (tb *tab) activate(sel, waitFor string) {
	tb.t.Helper()
	present := get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.documentElement.dataset.before = "1"; return !!document.querySelector(%q) })()`, waitFor)))
	if present && strings.HasPrefix(waitFor, "html") {
		waitFor = "html:not([data-before])" + strings.TrimPrefix(waitFor, "html")
	} else if present {
		waitFor = "html:not([data-before]) " + waitFor
	}
	if tb.mode == keyboard {
		tb.focusByTab(sel)
		tb.run(chromedp.KeyEvent(kb.Enter))
	} else {
		tb.run(chromedp.Click(chromedp.CSS(sel)))
	}
	tb.run(chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// fill types text into a field.
func (tb *tab) fill(sel, text string) {
	tb.t.Helper()
	if tb.mode == keyboard {
		tb.focusByTab(sel)
		tb.run(chromedp.KeyEvent(text))
		return
	}
	tb.run(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks an option of a select by typing its first letters, as a
// keyboard user does (the mouse modes set it).
func (tb *tab) choose(sel, value, typed string) {
	tb.t.Helper()
	if tb.mode == keyboard {
		tb.focusByTab(sel)
		tb.run(chromedp.KeyEvent(typed))
	} else {
		tb.run(chromedp.SetValue(chromedp.CSS(sel), value))
	}
	if got := get(tb, chromedp.Value(chromedp.CSS(sel))); got != value {
		tb.t.Fatalf("%s: %s is %q, want %q", tb.mode, sel, got, value)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return get(tb, chromedp.Text(chromedp.CSS(sel)))
}

func (tb *tab) wantText(sel string, subs ...string) {
	tb.t.Helper()
	got := tb.text(sel)
	for _, s := range subs {
		if !strings.Contains(got, s) {
			tb.t.Fatalf("%s: %s says %q, want %q", tb.mode, sel, got, s)
		}
	}
}

// check runs axe on the page (scripts on) and saves a screenshot (in the
// mouse mode) named name.
func (tb *tab) check(name string) {
	tb.t.Helper()
	if tb.mode == mouse {
		png := get(tb, chromedp.FullScreenshot(100))
		must(tb.t, os.WriteFile(filepath.Join(tb.h.shots, name+".png"), png, 0o644))
	}
	if tb.mode == noScript || tb.h.axe == "" {
		return
	}
	if get(tb, chromedp.Evaluate[string](`document.documentElement.lang`)) == "" {
		tb.t.Fatalf("%s: no lang on <html>", name)
	}
	tags, _ := json.Marshal(axeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}}).then(r => JSON.stringify(r.violations.map(v =>
		({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`
	get(tb, chromedp.Evaluate[bool](tb.h.axe+"\n;true"))
	if out := get(tb, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise)); out != "[]" {
		tb.t.Errorf("%s (%s): axe found WCAG 2.2 AA violations: %s", name, tb.mode, out)
	}
}

func (tb *tab) login(card, pin, waitFor string) {
	tb.t.Helper()
	tb.fill("#cardnumber", card)
	tb.fill("#pin", pin)
	tb.activate(`form[action="/login"] button[type=submit]`, waitFor)
}

// decode reads a code from a PNG screenshot.
func decode(t *testing.T, png []byte, r gozxing.Reader) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	must(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	must(t, err)
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Errorf("no code found: %v", err)
		return ""
	}
	return res.GetText()
}

func TestBrowserJourneys(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run("search-title-login-hold-account/"+string(m), func(t *testing.T) {
			l := newLib(t)
			l.lend(bobCard, "N1")
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/", "#q")
			tb.check("home")
			tb.fill("#q", "long winter")
			tb.activate(`form[role=search] button`, "ol.results")
			tb.check("search")
			tb.activate(`ol.results a[href^="/titles/`+l.novel.BiblioID+`"]`, "#avl")
			tb.wantText("table.copies", "F WIL", "Main Library", "Eastside Library", "On loan")
			tb.check("title")
			tb.activate(`a[href="/login?next=/titles/`+l.novel.BiblioID+`"]`, "#cardnumber")
			tb.check("login")
			tb.login(annCard, annPIN, "#pickup")
			tb.choose("#pickup", "EAST", "E")
			tb.check("title-logged-in")
			tb.activate(`form[action$="/hold"] button[type=submit]`, ".notices")
			tb.wantText(".notices", "Your hold is placed")
			tb.activate(`header a[href="/account"]`, "#holds")
			tb.wantText(".holds", "The Long Winter", "Eastside Library")
			tb.check("account")
		})
		t.Run("renew-all/"+string(m), func(t *testing.T) {
			l := newLib(t)
			l.lend(annCard, "N1")
			l.lend(annCard, "L1")
			_, err := l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.bob.PatronID, BiblioID: l.novel2.BiblioID})
			must(t, err)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`form[action="/account/loans/renew"] button`, ".notices")
			tb.wantText(".notices", "renewed: now due")
			tb.wantText(".problems", "was not renewed: Someone else has reserved it.")
			tb.check("account-renewed")
		})
		t.Run("suspend-resume/"+string(m), func(t *testing.T) {
			l := newLib(t)
			h1, err := l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.ann.PatronID, BiblioID: l.novel.BiblioID})
			must(t, err)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#holds")
			until := l.svc.Now().AddDate(0, 0, 14)
			tb.fill("#until-"+h1.HoldID, until.Format("01022006")) // a date field takes mm dd yyyy in en-US
			tb.activate(`form[action$="/suspend"] button`, `form[action$="/resume"]`)
			tb.wantText(".notices", "is suspended until "+until.Format("2 Jan 2006"))
			tb.check("account-suspended")
			tb.activate(`form[action$="/resume"] button`, `form[action$="/suspend"]`)
			tb.wantText(".notices", "is active again")
			got, err := l.svc.Hold(l.ctx, h1.HoldID)
			must(t, err)
			if got.SuspendedUntil != "" {
				t.Fatal("the hold is still suspended")
			}
		})
		t.Run("digital-card/"+string(m), func(t *testing.T) {
			l := newLib(t)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`header a[href="/account/card"]`, ".card svg")
			tb.wantText(".cardno", annCard)
			tb.check("card")
			if m == mouse {
				// Both codes, as the screen shows them, read back as the card number.
				png := get(tb, chromedp.FullScreenshot(100))
				for name, r := range map[string]gozxing.Reader{"QR": qrcode.NewQRCodeReader(), "Code 128": oned.NewCode128Reader()} {
					if got := decode(t, png, r); got != annCard {
						t.Errorf("the %s code on the card page reads %q, want %q", name, got, annCard)
					}
				}
				tb.open("/account/profile", "#email")
				tb.check("profile")
				// The switch in the header: the same pages in Finnish.
				tb.activate(`header form[action="/language"] button`, `html[lang="fi"] #email`)
				tb.open("/account", "#loans")
				tb.wantText("h1", "Hei, Ann")
				tb.check("account-fi")
				tb.open("/titles/nope", "main h1")
				tb.check("error")
			}
		})
	}
	if t.Failed() {
		return
	}
	t.Logf("screenshots in %s", h.shots)
	if _, err := os.Stat(filepath.Join(h.shots, "account.png")); errors.Is(err, os.ErrNotExist) {
		t.Fatal("no screenshot of the account page")
	}
}
