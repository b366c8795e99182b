package emulator_test

import (
	"context"
	"errors"
	"flag"
	"image"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"stacks/hardware/escpos"
	"stacks/hardware/escpos/emulator"
	"stacks/hardware/escpos/receipt/receipttest"
)

var update = flag.Bool("update", false, "rewrite the golden renderings")

// Each printout, decoded by the emulator, renders as text with what the
// patron must read, and as an image whose barcode and QR code scan back
// to their data.
func TestRenderEveryPrintout(t *testing.T) {
	p := receipttest.MustPrintouts(t)
	for _, s := range receipttest.Samples() {
		t.Run(s.Name, func(t *testing.T) {
			data, err := s.Make(p)
			if err != nil {
				t.Fatal(err)
			}
			page := emulator.Decode(data)
			if len(page.Unknown) > 0 {
				t.Errorf("unknown commands: %v", page.Unknown)
			}
			text := page.Text()
			for _, w := range s.Want {
				if !strings.Contains(text, w) {
					t.Errorf("rendering lacks %q:\n%s", w, text)
				}
			}
			if !strings.HasSuffix(text, strings.Repeat("=", emulator.Columns)+"\n") {
				t.Errorf("no cut at the end:\n%s", text)
			}
			golden := filepath.Join("testdata", s.Name+".txt")
			if *update {
				os.WriteFile(golden, []byte(text), 0o644)
			}
			if want, err := os.ReadFile(golden); err != nil || string(want) != text {
				t.Errorf("rendering differs from %s (%v):\n%s", golden, err, text)
			}
			img := page.Image()
			if img.Bounds().Dx() != emulator.Dots || img.Bounds().Dy() < 200 {
				t.Errorf("image %v", img.Bounds())
			}
			if s.Barcode != "" {
				if got := scan(t, img, oned.NewCode128Reader()); got != s.Barcode {
					t.Errorf("barcode scans as %q, want %q", got, s.Barcode)
				}
			}
			if s.QR != "" {
				if got := scan(t, img, qrcode.NewQRCodeReader()); got != s.QR {
					t.Errorf("QR code scans as %q, want %q", got, s.QR)
				}
			}
		})
	}
}

func scan(t *testing.T, img image.Image, r gozxing.Reader) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return res.GetText()
}

func TestDecodeCommands(t *testing.T) {
	data, _ := escpos.New(escpos.WPC1252).Init().Align(escpos.Right).Bold(true).Line("Hyvää päivää €").
		Bold(false).Code128("a{b", 60, 2, escpos.HRIBoth).QR("x", 3, escpos.ECQuartile).Cut(true, 0).Bytes()
	page := emulator.Decode(append(append([]byte{}, escpos.StatusRequests...), data...))
	if len(page.Blocks) != 4 {
		t.Fatalf("blocks: %+v", page.Blocks)
	}
	b := page.Blocks[0]
	if b.Text != "Hyvää päivää €" || !b.Bold || b.Align != escpos.Right {
		t.Errorf("text block %+v", b)
	}
	if b := page.Blocks[1]; b.Kind != emulator.Barcode || b.Text != "a{b" || b.Height != 60 || b.HRI != escpos.HRIBoth {
		t.Errorf("barcode block %+v", b)
	}
	if b := page.Blocks[2]; b.Kind != emulator.QRCode || b.Text != "x" || b.EC != 50 || b.Module != 3 {
		t.Errorf("QR block %+v", b)
	}
	// Garbage is skipped and reported, never a crash.
	page = emulator.Decode([]byte{0x1d, 0x28, 0x6b, 0xff, 0xff, 0x31, 0x1b, 0x99, 0x1d})
	if len(page.Unknown) == 0 {
		t.Error("garbage decoded without complaint")
	}
}

func FuzzDecode(f *testing.F) {
	data, _ := receipttest.Samples()[0].Make(receipttest.MustPrintouts(f))
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := emulator.Decode(b)
		_ = p.Text()
	})
}

// The emulator over TCP: status answered on the connection, paper out
// refuses jobs, paper back prints them.
func TestServer(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	srv := emulator.New(emulator.Config{PNGDir: dir, Out: &out, PaperOut: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer func() { ln.Close(); srv.Shutdown(context.Background()) }()
	pr := &escpos.TCPPrinter{Addr: ln.Addr().String(), Timeout: time.Second}
	ctx := context.Background()
	st, err := pr.Status(ctx)
	if err != nil || !st.PaperOut || st.Ready() {
		t.Fatalf("status with paper out: %+v %v", st, err)
	}
	var nr *escpos.NotReadyError
	if err := pr.Print(ctx, []byte("x\n")); !errors.As(err, &nr) {
		t.Fatalf("print with paper out: %v", err)
	}
	srv.SetPaperOut(false)
	data, _ := escpos.New(escpos.PC858).Init().Line("Kiitos!").Code128("P42", 50, 2, escpos.HRIBelow).Cut(false, 0).Bytes()
	if err := pr.Print(ctx, data); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Jobs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	jobs := srv.Jobs()
	if len(jobs) != 1 || !strings.Contains(jobs[0].Page.Text(), "Kiitos!") {
		t.Fatalf("jobs %+v", jobs)
	}
	for _, f := range []string{"job-0001.png", "job-0001.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(out.String(), "Code 128: P42") {
		t.Errorf("output: %s", out.String())
	}
	if srv.Dropped() != 0 {
		t.Errorf("dropped %d", srv.Dropped())
	}
}
