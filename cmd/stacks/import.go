package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/marc"
	"stacks/node/apitype"
	"stacks/node/client"
)

func init() {
	commands["import"] = command{name: "import", summary: "load records into the catalogue: import marc FILE...", run: runImport}
}

var importCommands = map[string]command{
	"marc": {name: "marc", summary: "import MARC records (ISO 2709, MARC-8 or UTF-8, or MARCXML), matching titles already there", run: runImportMARC},
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "stacks import", importCommands, args, stdout, stderr)
}

// importTally counts what became of a file's records.
type importTally struct {
	read, added, overlaid, skipped, errors, items int
}

func (t *importTally) add(o importTally) {
	t.read, t.added, t.overlaid, t.skipped, t.errors, t.items = t.read+o.read, t.added+o.added, t.overlaid+o.overlaid,
		t.skipped+o.skipped, t.errors+o.errors, t.items+o.items
}

func (t importTally) String() string {
	return fmt.Sprintf("read %d, added %d, overlaid %d, skipped %d, errors %d (copies added %d)", t.read, t.added,
		t.overlaid, t.skipped, t.errors, t.items)
}

// importer is one run of stacks import marc.
type importer struct {
	c        *client.Client
	opts     domain.ImportOptions
	verbose  bool
	progress bool // on a terminal: a progress line on stderr
	stdout   io.Writer
	stderr   io.Writer
	now      func() time.Time
}

func runImportMARC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("import marc", stderr)
	api := fs.String("api", envOr("STACKS_API", client.FallbackURL), "base URL of the appliance's API (default $STACKS_API, else "+client.FallbackURL+")")
	dry := fs.Bool("dry-run", false, "say what would happen to each record, and write nothing")
	match := fs.String("match", "isbn,035,001", "match rules, in order: isbn (020 $a $z, 10 and 13 alike), 035 ($a), 001 (with 003)")
	action := fs.String("action", "skip", "what to do with a record that matches a title: skip, overlay (replace its fields) or add (a new title all the same)")
	items := fs.Int("items", 0, "copies to add to each new title that has no holdings fields (952, 852)")
	library := fs.String("library", "", "library of the copies --items adds, and of holdings naming a library not known here")
	itemType := fs.String("item-type", "", "item type of copies that name none (default: the first item type)")
	verbose := fs.Bool("v", false, "print what became of every record")
	login := addLogin(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("import marc needs at least one FILE")
	}
	c, err := login.client(*api)
	if err != nil {
		return err
	}
	var rules []string
	for _, r := range strings.Split(*match, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rules = append(rules, r)
		}
	}
	im := &importer{c: c, opts: domain.ImportOptions{Match: rules, Action: *action, DryRun: *dry, Items: *items,
		Library: *library, ItemType: *itemType}, verbose: *verbose || *dry, progress: isTerminal(stderr),
		stdout: stdout, stderr: stderr, now: time.Now}
	var total importTally
	for _, name := range fs.Args() {
		t, err := im.file(ctx, name)
		total.add(t)
		if fs.NArg() > 1 || err != nil {
			fmt.Fprintf(stdout, "%s: %s\n", name, t)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	prefix := ""
	if *dry {
		prefix = "dry run, nothing written: "
	}
	fmt.Fprintf(stdout, "%s%s\n", prefix, total)
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// countingReader counts the bytes read through it, for the progress line.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// file imports one file, batch by batch: a batch is one transaction on
// the appliance.
func (im *importer) file(ctx context.Context, name string) (importTally, error) {
	var t importTally
	f, err := os.Open(name)
	if err != nil {
		return t, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	cr := &countingReader{r: f}
	r := marc.NewReader(cr)
	start := im.now()
	var batch []apitype.ImportRecord
	bytes := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := im.c.ImportBiblios(ctx, apitype.ImportRequest{Options: im.opts, Records: batch})
		batch, bytes = nil, 0
		if err != nil {
			return err
		}
		for _, x := range res.Results {
			im.report(name, x, &t)
		}
		if im.progress {
			el := im.now().Sub(start).Seconds()
			rate := float64(t.read) / max(el, 1e-3)
			eta := ""
			if size > 0 && cr.n > 0 && cr.n < size {
				eta = fmt.Sprintf(", ETA %s", time.Duration(el*float64(size-cr.n)/float64(cr.n)*float64(time.Second)).Round(time.Second))
			}
			fmt.Fprintf(im.stderr, "\r%s: %d records, %.0f records/s, %d%%%s   ", name, t.read, rate, 100*cr.n/max(size, 1), eta)
		}
		return nil
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var pe *marc.ParseError
		if errors.As(err, &pe) {
			t.read++
			t.errors++
			fmt.Fprintf(im.stdout, "record %d at byte offset %d: error: %s (skipped)\n", pe.Record, pe.Offset, pe.Msg)
			continue
		}
		if err != nil {
			return t, err
		}
		t.read++
		for _, w := range r.Warnings() {
			fmt.Fprintf(im.stderr, "%s: %s\n", name, w)
		}
		data, err := marc.Marshal(rec)
		if err != nil {
			t.errors++
			fmt.Fprintf(im.stdout, "record %d: error: %v (skipped)\n", t.read, err)
			continue
		}
		if bytes+len(data) > apitype.ImportMaxBytes || len(batch) == domain.ImportMaxRecords {
			if err := flush(); err != nil {
				return t, err
			}
		}
		batch = append(batch, apitype.ImportRecord{Ordinal: t.read, MARC: data})
		bytes += len(data)
	}
	if err := flush(); err != nil {
		return t, err
	}
	if im.progress {
		el := im.now().Sub(start).Seconds()
		fmt.Fprintf(im.stderr, "\r%s: %d records in %.1fs, %.0f records/s\n", name, t.read, el, float64(t.read)/max(el, 1e-3))
	}
	return t, nil
}

// report counts one result and prints it if asked to (errors always).
func (im *importer) report(name string, x domain.ImportResult, t *importTally) {
	switch x.Outcome {
	case domain.ImportAdded:
		t.added++
	case domain.ImportOverlaid:
		t.overlaid++
	case domain.ImportSkipped:
		t.skipped++
	default:
		t.errors++
	}
	t.items += x.Items
	for _, w := range x.Warnings {
		fmt.Fprintf(im.stderr, "%s: record %d: %s\n", name, x.Ordinal, w)
	}
	switch {
	case x.Outcome == domain.ImportFailed:
		fmt.Fprintf(im.stdout, "record %d: error: %s (skipped)\n", x.Ordinal, x.Error)
	case im.verbose:
		what := x.Outcome
		if im.opts.DryRun {
			what = "would be " + what
		}
		line := fmt.Sprintf("record %d: %s", x.Ordinal, what)
		if x.MatchedBy != "" {
			line += " (matched by " + x.MatchedBy + ")"
		}
		if x.BiblioID != "" && !im.opts.DryRun || x.MatchedBy != "" {
			line += " " + x.BiblioID
		}
		if x.Items > 0 {
			line += fmt.Sprintf(", %d copies", x.Items)
		}
		fmt.Fprintf(im.stdout, "%s: %q\n", line, x.Title)
	}
}
