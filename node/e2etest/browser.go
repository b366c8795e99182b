package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/draw"
	_ "image/png" // screenshots
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
)

// Browser starts Debian's Chromium headless with a phone-sized window
// and returns its context, closed when the test ends. It skips the test
// when Chromium is missing, except under CI (STACKS_CI set, .ci/run
// installs it), where that fails.
func Browser(t testing.TB) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("STACKS_CI") != "" {
			t.Fatal("chromium is not installed, and CI says it is (.ci/run installs it)")
		}
		t.Skip("chromium is not installed: apt-get install chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("lang", "en-US"), chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil { // start it
		t.Fatal(err)
	}
	return browser
}

// Artefacts is the directory for a test's kept files (screenshots):
// $STACKS_ARTEFACTS/sub, or one in the test's temp dir when unset.
func Artefacts(t testing.TB, sub string) string {
	t.Helper()
	dir := os.Getenv("STACKS_ARTEFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Decode reads a code (r: a QR or Code 128 reader) from a PNG screenshot.
func Decode(png []byte, r gozxing.Reader) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return "", err
	}
	return decodeImage(img, r)
}

func decodeImage(img image.Image, r gozxing.Reader) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// DecodeElement reads a code from a screenshot of the element sel alone,
// set in a white margin as a printed code has: on a whole page other
// square shapes can pass for a QR code's finder patterns and throw the
// reader off, which a crop of the code cannot.
func DecodeElement(ctx context.Context, sel string, r gozxing.Reader) (string, error) {
	shot, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS(sel), 3, chromedp.NodeVisible))
	if err != nil {
		return "", err
	}
	img, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		return "", err
	}
	const margin = 40
	b := img.Bounds()
	padded := image.NewRGBA(image.Rect(0, 0, b.Dx()+2*margin, b.Dy()+2*margin))
	draw.Draw(padded, padded.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(padded, b.Sub(b.Min).Add(image.Pt(margin, margin)), img, b.Min, draw.Src)
	return decodeImage(padded, r)
}

// AxeTags are the rule sets Axe runs: WCAG 2.0, 2.1 and 2.2, A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Axe runs axe-core (STACKS_AXE_JS, else /opt/axe/node_modules/axe-core/
// axe.min.js) on the page open in ctx and returns its WCAG 2.2 AA
// violations as JSON ("[]" when none). When axe-core is missing it fails
// the test under CI (STACKS_CI set: .ci/run installs it) and elsewhere
// says so and returns "[]".
func Axe(t testing.TB, ctx context.Context) string {
	t.Helper()
	path := os.Getenv("STACKS_AXE_JS")
	if path == "" {
		path = "/opt/axe/node_modules/axe-core/axe.min.js"
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("STACKS_CI") != "" {
			t.Fatalf("axe-core is missing at %s, and CI says it is there (.ci/run installs it with npm): %v", path, err)
		}
		t.Logf("axe-core is missing at %s (npm install --prefix /opt/axe axe-core): accessibility checks skipped", path)
		return "[]"
	}
	tags, _ := json.Marshal(AxeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}}).then(r => JSON.stringify(r.violations.map(v =>
		({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+"\n;true")); err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
