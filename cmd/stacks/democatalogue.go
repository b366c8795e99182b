package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"stacks/branch/marc"
)

func init() {
	commands["demo-catalogue"] = command{name: "demo-catalogue", summary: "write a large demo catalogue as MARC, built from real records, for stacks import marc", run: runDemoCatalogue}
}

// defaultSeedDir is where the project's real MARC records are, relative
// to the checkout; the generator reads them only when run, and only if
// --marc names no other directory.
const defaultSeedDir = "../shared/data/marc"

// catalogueLibraries are the branches of the demo library (node/demo), where
// the copies go.
var catalogueLibraries = []string{"MAIN", "EAST", "WEST", "NORTH"}

func runDemoCatalogue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("demo-catalogue", stderr)
	titles := fs.Int("titles", 10000, "how many titles")
	out := fs.String("out", "", "the MARC file to write (ISO 2709, UTF-8); default standard output")
	seedDir := fs.String("marc", defaultSeedDir, "directory of real MARC records (ISO 2709 or MARCXML, searched recursively) the titles are built from")
	seed := fs.Uint64("seed", 1, "random seed: the same seed, records and flags give the same file, byte for byte")
	copies := fs.Float64("copies", 1.5, "copies per title on average (e-books and e-audiobooks have none)")
	libs := fs.String("libraries", strings.Join(catalogueLibraries, ","), "libraries the copies belong to (952 $a), comma separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *titles < 1 || *titles > 50_000_000 {
		return fmt.Errorf("--titles must be 1 to 50000000, not %d", *titles)
	}
	if *copies < 0 || *copies > 10 {
		return fmt.Errorf("--copies must be 0 to 10, not %g", *copies)
	}
	g, err := newDemoGen(*seedDir, *seed, *copies, splitList(*libs))
	if err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	items := 0
	for i := 1; i <= *titles; i++ {
		if i%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, n := g.record(i)
		items += n
		if err := marc.Write(bw, r); err != nil {
			return fmt.Errorf("title %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(stderr, "%s: %d titles, %d copies, from %d real records in %s\n", *out, *titles, items, len(g.seeds), *seedDir)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// demoFormat is how a format is written in MARC (leader/06-07, 007,
// 008/23) so that branch/marc reads it back as that format, with its item
// type in the demo library.
type demoFormat struct {
	name     string
	weight   int
	leader   string // leader/06-07
	f007     string
	form     byte   // 008/23, form of item
	itemType string // "" for digital titles: no copies
}

var demoFormats = []demoFormat{
	{marc.FormatBook, 600, "am", "", ' ', "BOOK"},
	{marc.FormatLargePrint, 60, "am", "", 'd', "BOOK"},
	{marc.FormatEbook, 80, "am", "cr |n|||||||||", 'o', ""},
	{marc.FormatAudiobook, 40, "im", "sd fsngnnmmned", ' ', "AUDIOBOOK"},
	{marc.FormatEaudiobook, 30, "im", "cr nna", 'o', ""},
	{marc.FormatDVD, 70, "gm", "vd cvaizq", ' ', "DVD"},
	{marc.FormatBluray, 20, "gm", "vd csaizq", ' ', "BLURAY"},
	{marc.FormatMusicCD, 40, "jm", "sd fsngnnmmned", ' ', "CD"},
	{marc.FormatScore, 20, "cm", "", ' ', "SCORE"},
	{marc.FormatMap, 10, "em", "", ' ', "MAP"},
	{marc.FormatSerial, 30, "as", "", ' ', "SERIAL"},
}

// demoLanguages are the languages titles are given when not their
// record's own, with weights: a Finnish public library's mix.
var demoLanguages = []struct {
	code   string
	weight int
}{{"eng", 50}, {"fin", 25}, {"swe", 8}, {"ger", 4}, {"fre", 4}, {"spa", 3}, {"rus", 3}, {"jpn", 1}, {"heb", 1}, {"nep", 1}}

// audiences are 008/22 target audiences with weights: adult, general,
// juvenile, preschool, primary, adolescent (young adult).
var audiences = []struct {
	code   byte
	weight int
	note   string // 521 $a
}{{'e', 50, ""}, {'g', 15, ""}, {'j', 15, "Juvenile."}, {'a', 5, "Ages 3-5."}, {'b', 5, "Ages 6-8."}, {'d', 10, "Young adult."}}

// demoGen builds titles from the parts of real records: each title takes
// its title from one record, its subtitle, authors, subjects and publisher
// from others, so a million titles are varied while every word in them is
// a real catalogue's.
type demoGen struct {
	seed       uint64
	copies     float64
	physical   float64 // share of titles with copies
	libraries  []string
	seeds      []marc.Biblio
	authors    []string
	subjects   []string
	publishers []string
	phrases    []string // titles, subtitles and subjects: subtitles of new titles
	formatW    int
	langW      int
	audW       int
}

func newDemoGen(dir string, seed uint64, copies float64, libraries []string) (*demoGen, error) {
	if len(libraries) == 0 {
		return nil, errors.New("--libraries names no library")
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".mrc", ".marc", ".xml":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the real records to build from: %w (give --marc DIR)", err)
	}
	slices.Sort(files)
	g := &demoGen{seed: seed, copies: copies, libraries: libraries}
	seen := map[string]bool{}
	addTo := func(list *[]string, s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] && len(s) < 120 {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r := marc.NewReader(strings.NewReader(string(data)))
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			var pe *marc.ParseError
			if errors.As(err, &pe) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			b := rec.Biblio()
			if b.Title == "" {
				continue
			}
			g.seeds = append(g.seeds, b)
			addTo(&g.phrases, b.Title)
			addTo(&g.phrases, b.Subtitle)
			for _, a := range b.Authors {
				addTo(&g.authors, a)
			}
			for _, s := range b.Subjects {
				addTo(&g.subjects, s)
				addTo(&g.phrases, strings.SplitN(s, " -- ", 2)[0]+" ")
			}
			addTo(&g.publishers, b.Publisher)
		}
	}
	if len(g.seeds) < 10 || len(g.authors) == 0 || len(g.subjects) == 0 || len(g.publishers) == 0 {
		return nil, fmt.Errorf("%s holds too few MARC records to build a catalogue from (%d); give --marc DIR", dir, len(g.seeds))
	}
	digital := 0
	for _, f := range demoFormats {
		g.formatW += f.weight
		if f.itemType == "" {
			digital += f.weight
		}
	}
	g.physical = 1 - float64(digital)/float64(g.formatW)
	for _, l := range demoLanguages {
		g.langW += l.weight
	}
	for _, a := range audiences {
		g.audW += a.weight
	}
	return g, nil
}

// record is title i (from 1) and how many copies it has. It depends only
// on the generator's records and flags and on i, so any title can be
// rebuilt alone.
func (g *demoGen) record(i int) (*marc.Record, int) {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	base := g.seeds[rng.IntN(len(g.seeds))]

	f := demoFormats[len(demoFormats)-1]
	for n, k := rng.IntN(g.formatW), 0; k < len(demoFormats); k++ {
		if n < demoFormats[k].weight {
			f = demoFormats[k]
			break
		}
		n -= demoFormats[k].weight
	}
	lang := base.Language
	if len(lang) != 3 || rng.IntN(10) < 4 {
		n := rng.IntN(g.langW)
		for _, l := range demoLanguages {
			if n < l.weight {
				lang = l.code
				break
			}
			n -= l.weight
		}
	}
	aud := audiences[0]
	for n, k := rng.IntN(g.audW), 0; k < len(audiences); k++ {
		if n < audiences[k].weight {
			aud = audiences[k]
			break
		}
		n -= audiences[k].weight
	}
	// Years lean recent, as a public library's stock does.
	year := 2026 - int(76*rng.Float64()*rng.Float64())

	leader := "00000n" + f.leader + " a2200000 a 4500"
	f008 := []byte(strings.Repeat(" ", 40))
	copy(f008, "260101s")
	copy(f008[7:], fmt.Sprintf("%04d", year))
	copy(f008[15:], "fi ")
	copy(f008[35:], lang)
	f008[22], f008[23], f008[39] = aud.code, f.form, 'd'

	r := &marc.Record{Leader: leader}
	ctl := func(tag, v string) { r.Fields = append(r.Fields, marc.Field{Tag: tag, Value: v}) }
	dat := func(tag string, ind1, ind2 byte, subs ...string) {
		fl := marc.Field{Tag: tag, Ind1: ind1, Ind2: ind2}
		for _, s := range subs {
			if len(s) > 1 {
				fl.Subfields = append(fl.Subfields, marc.Subfield{Code: s[0], Value: s[1:]})
			}
		}
		r.Fields = append(r.Fields, fl)
	}
	ctl("001", fmt.Sprintf("demo%09d", i))
	ctl("003", "STACKS-DEMO")
	if f.f007 != "" {
		ctl("007", f.f007)
	}
	ctl("008", string(f008))
	dat("020", ' ', ' ', "a"+demoISBN(i))
	dat("035", ' ', ' ', fmt.Sprintf("a(STACKS-DEMO)%d", i))
	if lang != "eng" {
		dat("041", '0', ' ', "a"+lang)
	}
	author := pick(g.authors)
	if len(base.Authors) > 0 && rng.IntN(2) == 0 {
		author = base.Authors[0]
	}
	dat("100", '1', ' ', "a"+author+".")
	// Four titles in five get a subtitle from another record (its title,
	// subtitle or a subject): a million titles are then mostly distinct,
	// while those without one repeat, as works with one name do.
	sub := ""
	if rng.IntN(5) > 0 {
		sub = pick(g.phrases)
	}

	title := base.Title
	if sub != "" {
		dat("245", '1', '0', "a"+title+" :", "b"+lowerFirst(sub)+" /", "c"+author+".")
	} else {
		dat("245", '1', '0', "a"+title+" /", "c"+author+".")
	}
	if f.name == marc.FormatLargePrint {
		dat("250", ' ', ' ', "aLarge print edition.")
	} else if rng.IntN(5) == 0 {
		dat("250", ' ', ' ', fmt.Sprintf("a%d. ed.", 2+rng.IntN(6)))
	}
	dat("264", ' ', '1', "aHelsinki :", "b"+pick(g.publishers)+",", fmt.Sprintf("c%d.", year))
	if aud.note != "" {
		dat("521", ' ', ' ', "a"+aud.note)
	}
	for n := 1 + rng.IntN(3); n > 0; n-- {
		dat("650", ' ', '0', "a"+pick(g.subjects)+".")
	}
	if rng.IntN(4) == 0 {
		dat("700", '1', ' ', "a"+pick(g.authors)+".")
	}
	if f.itemType == "" {
		return r, 0
	}
	call := base.CallNumber
	if call == "" || len(call) > 60 {
		call = "FIC " + strings.ToUpper(firstLetters(author, 3))
	}
	n := 0
	if want := g.copies / g.physical; want > 0 {
		n = int(want)
		if rng.Float64() < want-float64(n) {
			n++
		}
	}
	for c := 1; c <= n; c++ {
		lib := g.libraries[rng.IntN(len(g.libraries))]
		dat("952", ' ', ' ', "a"+lib, "b"+lib, fmt.Sprintf("pD%08d%02d", i, c), "o"+call, "y"+f.itemType)
	}
	return r, n
}

// demoISBN is title i's ISBN-13, in the 979-8 range, unique for i below
// 10^8, with a right check digit.
func demoISBN(i int) string {
	body := fmt.Sprintf("9798%08d", i%100_000_000)
	sum := 0
	for k := 0; k < 12; k++ {
		d := int(body[k] - '0')
		if k%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

func firstLetters(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "XXX"
	}
	return b.String()
}

// lowerFirst lower-cases the first letter of s, as a subtitle after a
// colon is written.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
