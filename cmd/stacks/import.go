package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
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
	batch    int  // records per request
	stdout   io.Writer
	stderr   io.Writer
	now      func() time.Time
	// In a dry run nothing is added, so the appliance cannot match a
	// record against one of an earlier batch of the same run: the run
	// remembers the match keys (hashed) of the records that would be
	// added, and the first record that has each.
	runKeys map[uint64]int
	run     string           // names this run's batches to the appliance, which applies them in order
	seq     int              // the next batch's number in the run
	pending map[int][]string // ordinal -> match keys, of the batch in flight
}

func runImportMARC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("import marc", stderr)
	api := fs.String("api", envOr("STACKS_API", client.FallbackURL), "base URL of the appliance's API (default $STACKS_API, else "+client.FallbackURL+")")
	dry := fs.Bool("dry-run", false, "say what would happen to each record, and write nothing")
	match := fs.String("match", "isbn,035,001", "match rules, in order: isbn (020 $a $z, 10 and 13 alike), 035 ($a), 001 (with 003)")
	action := fs.String("action", "skip", "what to do with a record that matches a title: skip, overlay (replace its fields but those edited locally), overlay-all (replace them all) or add (a new title all the same)")
	items := fs.Int("items", 0, "copies to add to each new title that has no holdings fields (952, 852)")
	library := fs.String("library", "", "library of the copies --items adds, and of holdings naming a library not known here")
	itemType := fs.String("item-type", "", "item type of copies that name none (default: the first item type)")
	verbose := fs.Bool("v", false, "print what became of every record")
	batchSize := fs.Int("batch", domain.ImportMaxRecords, "records per request (one transaction each)")
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
		stdout: stdout, stderr: stderr, now: time.Now, run: newRunID(), batch: min(max(*batchSize, 1), domain.ImportMaxRecords)}
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

// importInFlight is how many batches a run sends before it reads the
// first answer.
const importInFlight = 2

// newRunID names a run: random, so two runs never share one.
func newRunID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ""
	}
	return hex.EncodeToString(b[:])
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
	if im.opts.DryRun && im.runKeys == nil {
		im.runKeys, im.pending = map[uint64]int{}, map[int][]string{}
	}
	var batch []apitype.ImportRecord
	bytes := 0
	// Up to importInFlight batches are sent before the first answer is
	// read, so that the appliance reads and decodes one batch while it
	// writes another; Run and Seq make it apply them in file order.
	type sent struct {
		done chan struct{}
		res  *apitype.ImportResponse
		err  error
	}
	var queue []*sent
	opts := im.opts
	opts.Run = im.run
	settle := func() error {
		q := queue[0]
		queue = queue[1:]
		<-q.done
		if q.err != nil {
			return q.err
		}
		for _, x := range q.res.Results {
			var inFile int
			if im.opts.DryRun {
				inFile = im.matchInRun(&x)
				delete(im.pending, x.Ordinal)
			}
			im.report(name, x, inFile, &t)
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
	defer func() {
		for _, q := range queue {
			<-q.done
		}
	}()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := &sent{done: make(chan struct{})}
		req := apitype.ImportRequest{Options: opts, Records: batch}
		req.Options.Seq = im.seq
		im.seq++
		go func() {
			defer close(q.done)
			q.res, q.err = im.c.ImportBiblios(ctx, req)
		}()
		queue = append(queue, q)
		batch, bytes = nil, 0
		for len(queue) >= importInFlight {
			if err := settle(); err != nil {
				return err
			}
		}
		return nil
	}
	drain := func() error {
		if err := flush(); err != nil {
			return err
		}
		for len(queue) > 0 {
			if err := settle(); err != nil {
				return err
			}
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
		if bytes+len(data) > apitype.ImportMaxBytes || len(batch) == im.batch {
			if err := flush(); err != nil {
				return t, err
			}
		}
		batch = append(batch, apitype.ImportRecord{Ordinal: t.read, MARC: data})
		if im.opts.DryRun {
			im.pending[t.read] = marc.MatchKeys(rec)
		}
		bytes += len(data)
	}
	if err := drain(); err != nil {
		return t, err
	}
	if im.progress {
		el := im.now().Sub(start).Seconds()
		fmt.Fprintf(im.stderr, "\r%s: %d records in %.1fs, %.0f records/s\n", name, t.read, el, float64(t.read)/max(el, 1e-3))
	}
	return t, nil
}

// matchInRun completes a dry run's result x with the records of the run
// before it: a record the appliance would add but that has a match key
// of an earlier record of the run that would be added is matched to that
// one, as the real import would match it ("matched in this file"); one
// the appliance matched to a record earlier in its batch is named too. It
// returns the ordinal of the earlier record, or 0.
func (im *importer) matchInRun(x *domain.ImportResult) int {
	keys := im.pending[x.Ordinal]
	rules := append(slices.Clip(im.opts.Match), domain.ImportMatchRecord)
	if len(im.opts.Match) == 0 {
		rules = []string{domain.ImportMatchISBN, domain.ImportMatchSystem, domain.ImportMatchControl, domain.ImportMatchRecord}
	}
	earlier, by := 0, ""
	for _, r := range rules {
		for _, k := range keys {
			if rule, _, _ := strings.Cut(k, ":"); rule != r {
				continue
			}
			if o, ok := im.runKeys[keyHash(k)]; ok && o < x.Ordinal && (earlier == 0 || o < earlier) {
				earlier, by = o, r
			}
		}
		if earlier != 0 {
			break
		}
	}
	switch {
	case x.Outcome == domain.ImportAdded && earlier != 0 && im.opts.Action != domain.ImportActionAdd:
		x.MatchedBy, x.BiblioID, x.Items, x.Warnings = by, "", 0, nil
		x.Outcome = domain.ImportSkipped
		if im.opts.Action == domain.ImportActionOverlay || im.opts.Action == domain.ImportActionOverlayAll {
			x.Outcome = domain.ImportOverlaid
		}
		return earlier
	case x.Outcome == domain.ImportAdded:
		for _, k := range keys {
			if _, ok := im.runKeys[keyHash(k)]; !ok {
				im.runKeys[keyHash(k)] = x.Ordinal
			}
		}
	case strings.HasPrefix(x.BiblioID, "dry-run-") && earlier != 0:
		x.BiblioID = ""
		return earlier
	}
	return 0
}

// keyHash is a match key as a dry run remembers it: 8 bytes, not the key.
func keyHash(k string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(k))
	return h.Sum64()
}

// report counts one result and prints it if asked to (errors always).
// inFile is the earlier record of the run a dry run matched it to, or 0.
func (im *importer) report(name string, x domain.ImportResult, inFile int, t *importTally) {
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
		switch {
		case inFile != 0:
			line += fmt.Sprintf(" (matched in this file: record %d, by %s)", inFile, x.MatchedBy)
		case x.MatchedBy != "":
			line += " (matched by " + x.MatchedBy + ")"
		}
		if len(x.Kept) > 0 {
			line += " (kept, edited locally: " + strings.Join(x.Kept, ", ") + ")"
		}
		if x.BiblioID != "" && (!im.opts.DryRun || x.MatchedBy != "") {
			line += " " + x.BiblioID
		}
		if x.Items > 0 {
			line += fmt.Sprintf(", %d copies", x.Items)
		}
		fmt.Fprintf(im.stdout, "%s: %q\n", line, x.Title)
	}
}
