package marc_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"stacks/branch/marc"
)

// TestBiblioKnownRecords checks the mapping of real records against the
// values yaz-marcdump shows for them.
func TestBiblioKnownRecords(t *testing.T) {
	tests := []struct {
		file string
		n    int // 1-based record number
		want marc.Biblio
	}{
		{"jazz_1k.mrc", 1, marc.Biblio{
			Title:    "Friendly fire",
			Authors:  []string{"Lovano, Joe", "Osby, Greg", "Moran, Jason", "Brown, Cameron", "Muhammad, Idris"},
			Subjects: []string{"Saxophone with jazz ensemble"}, Language: "eng", Format: "music_cd",
			Publisher: "Blue Note", Year: 1999, CallNumber: "5490", ControlNumber: "03-0018137",
		}},
		{"jazz_1k.mrc", 283, marc.Biblio{ // MARC-8 acute accent
			Title:    "Killer tumbao",
			Authors:  []string{"Durán, Hilario", `Quintana, Jose Luis "Changuito"`, "Guines, Tata", "Cuban Jazz All Stars"},
			Subjects: []string{"Jazz -- Cuba"}, Language: "eng", Format: "music_cd",
			Publisher: "Justin Time Records", Year: 1997, CallNumber: "4464", ControlNumber: "03-0016340",
		}},
		{"hebrew.marc", 1, marc.Biblio{ // MARC-8 dot below and ayn; two 008s, the first blank
			Title: "La-Torah vela-moʻadim", Subtitle: "resise hegyonot",
			Authors:  []string{"Zeṿin, Shelomoh Yosef"},
			Subjects: []string{"Festival-day sermons, Jewish", "Jewish sermons, Hebrew", "Jewish sermons"},
			Language: "heb", Format: "book", Publisher: "Zioni", Year: 1961,
			CallNumber: "JUD BS1225.4 .Z48 1961", ControlNumber: "13810341",
		}},
		{"FSL.marc", 2, marc.Biblio{ // UTF-8 Cyrillic with a blank leader/09
			Title:   "Стихотворения и поэмы",
			Authors: []string{"Блок, Александр Александрович", "Шавшукова, Н.Л."},
			ISBN:    "5340001601", Language: "rus", Format: "book", Publisher: "Мастац. лiт", Year: 1989,
			ControlNumber: "000538821",
		}},
		{"nepali.marc", 1, marc.Biblio{ // dual script 245/100
			Title:    "बिहानी टुसा",
			Authors:  []string{"शाह, वीरेन्द्रविक्रम", "Śāha, Vīrendravikram"},
			Subjects: []string{"Nepali literature -- Mixed forms"},
			Language: "nep", Format: "book", Publisher: "वीरबहादुर घर्ती क्षेत्री", Year: 1964,
		}},
		{"map_data.mrc", 2, marc.Biblio{
			Title:   "Map of Yosemite Valley, Yosemite National Park and Wilderness, California, Mariposa County",
			Authors: []string{"Geological Survey (U.S.)", "Huber, N. King", "Matthes, François"},
			Subjects: []string{"Yosemite Valley (Calif.) -- Maps, Topographic",
				"Yosemite National Park (Calif.) -- Maps, Topographic", "Geology -- California -- Yosemite Valley -- Maps"},
			ISBN: "1411318013", Language: "eng", Format: "map", Publisher: "Geological Survey", Year: 2007,
			CallNumber: "G4362.Y62 2007 .G4", ControlNumber: "14933689",
		}},
		{"rda/RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc", 1, marc.Biblio{
			Title: "Pineapple express",
			Authors: []string{"Apatow, Judd", "Robertson, Shauna", "Rogen, Seth", "Goldberg, Evan", "Green, David Gordon",
				"Franco, James", "Cole, Gary", "Perez, Rosie", "McBride, Danny", "Columbia Pictures", "Relativity Media",
				"Apatow Company", "Sony Pictures Home Entertainment (Firm)", "Anonymous Donor Collection (Library of Congress)"},
			Subjects: []string{"Slackers -- United States -- Drama", "Drug dealers -- United States -- Drama",
				"Marijuana -- United States -- Drama", "Drug traffic -- United States -- Drama",
				"Police corruption -- United States -- Drama", "Feature films", "Fiction films", "Crime films",
				"Comedy films", "Action and adventure films"},
			ISBN: "1435921259", Language: "eng", Format: "bluray", Publisher: "Sony Pictures Home Entertainment",
			Year: 2008, CallNumber: "DVC 4301 (viewing copy)", ControlNumber: "16557781",
		}},
		{"rda/RDA_record_SCORE_Wiegenlied.mrc", 1, marc.Biblio{ // ISBN with "(hd. bd.)", RDA 264
			Title:    "Wiegenlied",
			Subtitle: "Guten Abend, gut' Nacht, Opus 49, Nr. 4 : Faksimile nach dem Autograph des Glinka-Nationalmuseums für Musikkultur, Moskau",
			Authors:  []string{"Brahms, Johannes", "Fassbaender, Brigitte", "Sandberger, Wolfgang"},
			Subjects: []string{"Songs with piano", "Lullabies", "Music -- Manuscripts -- Facsimiles",
				"Brahms, Johannes -- Manuscripts -- Facsimiles"},
			ISBN: "9783890077772", Language: "ger", Format: "score", Publisher: "Laaber-Verlag", Year: 2014,
			ControlNumber: "18057321",
		}},
		{"badisbns.xml", 3, marc.Biblio{ // MARCXML; first ISBN is in $z, then a valid one
			Title: "The farthest shore", SortTitle: "farthest shore", Authors: []string{"Le Guin, Ursula K."},
			ISBN: "0553204300", Language: "eng", Format: "book", Publisher: "Bantam Books", Year: 1975,
			ControlNumber: "ocm25104511",
		}},
		{"badisbns.xml", 6, marc.Biblio{ // $n part number joins the title
			Title:   "Standard & Poor's register of corporations, directors and executives, 2003. v. 2",
			Authors: []string{"Standard and Poor's Corporation"},
			Subjects: []string{"Directors of corporations -- United States -- Directories",
				"Corporations -- United States -- Directories", "Executives -- United States -- Directories"},
			Language: "eng", Format: "book", Publisher: "Standard & Poor's Corp.", Year: 2003,
			CallNumber: "R 332.67 S785", ControlNumber: "ocm51762602",
		}},
		{"serials_marc21.xml", 1, marc.Biblio{
			Title: "Circulation research", Authors: []string{"American Heart Association"},
			Subjects: []string{"Cardiovascular System", "Periodicals"}, Language: "eng", Format: "serial",
			Publisher: "Grune & Stratton", Year: 1993, ControlNumber: "21061",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs := records(t, readData(t, tt.file))
			got := recs[tt.n-1].Biblio()
			// The fields for search are checked by TestBiblioSearchFields.
			got.Series, got.Notes, got.Audience, got.ISSN, got.ISBNs = nil, "", "", "", nil
			if tt.want.SortTitle == "" {
				tt.want.SortTitle = tt.want.Title // no non-filing characters
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record %d:\n got %#v\nwant %#v", tt.n, got, tt.want)
			}
		})
	}
}

// TestRDAFormats: each RDA sample maps to the format its file name says.
func TestRDAFormats(t *testing.T) {
	tests := map[string]string{
		"RDA_record_CD_Claudia.mrc":                           "music_cd",
		"RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc": "bluray",
		"RDA_record_DVD_Jorge_Mautner.mrc":                    "dvd",
		"RDA_record_MAP_2012_Enchanted_Circle.mrc":            "map",
		"RDA_record_PHOTO_Srid_pa_ho.mrc":                     "photo",
		"RDA_record_SCORE-CD_Arias_for_soprano.mrc":           "score",
		"RDA_record_SCORE_Arias_for_bass.mrc":                 "score",
		"RDA_record_SCORE_Intermediate_studies.mrc":           "score",
		"RDA_record_SCORE_Wiegenlied.mrc":                     "score",
		"RDA_record_SERIAL_IEEE_International_conference.mrc": "serial",
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			recs := records(t, readData(t, "rda/"+file))
			if got := recs[0].Biblio().Format; got != want {
				t.Errorf("format %q, want %q", got, want)
			}
		})
	}
}

// TestJazzFormats: the jazz catalogue is mostly sound recordings and
// scores; count formats as a sanity check of the leader rules.
func TestJazzFormats(t *testing.T) {
	counts := map[string]int{}
	for _, rec := range records(t, readData(t, "jazz_1k.mrc")) {
		counts[rec.Format()]++
	}
	// From leader/06-07: 505 njm + 78 njc (music), 229 ncm + 1 ndm (score),
	// 168 nam + 3 cam (book), 13 ngm (video), 2 nas + 1 njs (serial).
	want := map[string]int{"music_cd": 583, "score": 230, "book": 171, "serial": 3}
	for f, n := range want {
		if counts[f] != n {
			t.Errorf("%s: %d, want %d (all: %v)", f, counts[f], n, counts)
		}
	}
	if counts["dvd"]+counts["video"]+counts["bluray"] != 13 {
		t.Errorf("video formats: %v", counts)
	}
}

// rec builds a record from a leader and lines like "245 10 $aTitle /$cMe"
// or "008 value".
func rec(leader string, lines ...string) *marc.Record {
	r := &marc.Record{Leader: leader}
	for _, l := range lines {
		tag, rest := l[:3], l[4:]
		if tag < "010" {
			r.Fields = append(r.Fields, marc.Field{Tag: tag, Value: rest})
			continue
		}
		f := marc.Field{Tag: tag, Ind1: rest[0], Ind2: rest[1]}
		for _, s := range strings.Split(rest[2:], "$")[1:] {
			f.Subfields = append(f.Subfields, marc.Subfield{Code: s[0], Value: s[1:]})
		}
		r.Fields = append(r.Fields, f)
	}
	return r
}

const bookLeader = "00000nam a2200000 a 4500"

// TestFormatRules covers the format rules on synthetic records.
func TestFormatRules(t *testing.T) {
	book008 := "020121s1999    cau           000 0 eng d"
	online008 := "020121s1999    cau     o     000 0 eng d"
	tests := []struct {
		name string
		r    *marc.Record
		want string
	}{
		{"printed book", rec(bookLeader, "008 "+book008), "book"},
		{"online book", rec(bookLeader, "008 "+online008), "ebook"},
		{"book with 007 c", rec(bookLeader, "007 cr |||||||||||", "008 "+book008), "ebook"},
		{"RDA computer media", rec(bookLeader, "337   $acomputer"), "ebook"},
		{"print book with disc", rec(bookLeader, "007 co |||||||||||", "337   $aunmediated$acomputer"), "book"},
		{"manuscript text", rec("00000ntm a2200000 a 4500"), "book"},
		{"audiobook", rec("00000nim a2200000 a 4500"), "audiobook"},
		{"music", rec("00000njm a2200000 a 4500"), "music_cd"},
		{"dvd from 007", rec("00000ngm a2200000 a 4500", "007 vd cvaizq"), "dvd"},
		{"bluray from 007/04", rec("00000ngm a2200000 a 4500", "007 vd csaizq"), "bluray"},
		{"bluray from 538", rec("00000ngm a2200000 a 4500", "007 vd cuaizq", "538   $aBlu-ray Disc."), "bluray"},
		{"dvd from 538 only", rec("00000ngm a2200000 a 4500", "538   $aDVD."), "dvd"},
		{"videocassette", rec("00000ngm a2200000 a 4500", "007 vf cbahou"), "video"},
		{"score", rec("00000ncm a2200000 a 4500"), "score"},
		{"manuscript score", rec("00000ndm a2200000 a 4500"), "score"},
		{"map", rec("00000nem a2200000 a 4500"), "map"},
		{"manuscript map", rec("00000nfm a2200000 a 4500"), "map"},
		{"photo", rec("00000nkm a2200000 a 4500"), "photo"},
		{"serial", rec("00000nas a2200000 a 4500"), "serial"},
		{"computer file", rec("00000nmm a2200000 a 4500"), "other"},
		{"e-book coded as computer file, 007 cr", rec("00000nmm a2200000 a 4500", "007 cr |||||||||||", "008 "+book008[:26]+"d"+book008[27:]), "ebook"},
		{"e-book coded as computer file, [electronic resource]", rec("00000nmm a2200000 a 4500", "245 00$aA history$h[electronic resource] /$cX."), "ebook"},
		{"e-book coded as computer file, 338 online", rec("00000nmm a2200000 a 4500", "338   $aonline resource$bcr"), "ebook"},
		{"software online is no e-book", rec("00000nmm a2200000 a 4500", "007 cr |||||||||||", "008 "+book008[:26]+"b"+book008[27:]), "other"},
		{"computer game", rec("00000nmm a2200000 a 4500", "008 "+book008[:26]+"g"+book008[27:]), "game"},
		{"online audiobook, 007 cr", rec("00000nim a2200000 a 4500", "007 cr |||||||||||"), "eaudiobook"},
		{"online audiobook, 338", rec("00000nim a2200000 a 4500", "338   $aonline resource"), "eaudiobook"},
		{"audiobook on CD-ROM is not online", rec("00000nim a2200000 a 4500", "007 co |||||||||||", "338   $aaudio disc"), "audiobook"},
		{"large print from 008/23", rec(bookLeader, "008 "+book008[:23]+"d"+book008[24:]), "large_print"},
		{"large print from 250", rec(bookLeader, "250   $aLarge print ed."), "large_print"},
		{"large print e-book is an e-book", rec(bookLeader, "250   $aLarge print ed.", "007 cr |||||||||||"), "ebook"},
		{"kit", rec("00000nom a2200000 a 4500"), "other"},
		{"no leader", rec(""), "other"},
	}
	for _, tt := range tests {
		if got := tt.r.Format(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestBiblioFieldRules covers the mapping rules on synthetic records.
func TestBiblioFieldRules(t *testing.T) {
	tests := []struct {
		name  string
		r     *marc.Record
		check func(marc.Biblio) any
		want  any
	}{
		{"title trims ' /'", rec(bookLeader, "245 10$aA title /$cMe."), func(b marc.Biblio) any { return b.Title }, "A title"},
		{"title with $n $p", rec(bookLeader, "245 10$aBible. :$bx$nPart 2,$pO.T."), func(b marc.Biblio) any { return b.Title }, "Bible. Part 2, O.T."},
		{"title keeps ?", rec(bookLeader, "245 10$aWho? :$bwhy"), func(b marc.Biblio) any { return b.Title }, "Who?"},
		{"subtitle trims", rec(bookLeader, "245 10$aA :$ba subtitle =$bx"), func(b marc.Biblio) any { return b.Subtitle }, "a subtitle"},
		{"parallel title =", rec(bookLeader, "245 10$aNRC newslink ="), func(b marc.Biblio) any { return b.Title }, "NRC newslink"},
		{"author initial kept", rec(bookLeader, "100 1 $aLarsen, Robert L.,$d1934-"), func(b marc.Biblio) any { return b.Authors }, []string{"Larsen, Robert L."}},
		{"author Inc. kept", rec(bookLeader, "710 2 $aAcme, Inc."), func(b marc.Biblio) any { return b.Authors }, []string{"Acme, Inc."}},
		{"authors deduplicated, 1XX first", rec(bookLeader, "700 1 $aBee, Bo.", "100 1 $aAye, Al,", "700 1 $aAye, Al.", "111 2 $aCon"),
			func(b marc.Biblio) any { return b.Authors }, []string{"Aye, Al", "Con", "Bee, Bo"}},
		{"subject subdivisions", rec(bookLeader, "650  0$aJazz$zCuba$y1950-1959$vHistory.", "651  0$aParis (France)$xHistory.", "650  0$aJazz$zCuba$y1950-1959$vHistory"),
			func(b marc.Biblio) any { return b.Subjects }, []string{"Jazz -- Cuba -- 1950-1959 -- History", "Paris (France) -- History"}},
		{"653 is not a subject", rec(bookLeader, "653 0 $aKeyword"), func(b marc.Biblio) any { return b.Subjects }, []string(nil)},
		{"isbn with qualifier", rec(bookLeader, "020   $a0-306-40615-2 (pbk.) :$c$5"), func(b marc.Biblio) any { return b.ISBN }, "0306406152"},
		{"isbn 13", rec(bookLeader, "020   $a978-0-306-40615-7"), func(b marc.Biblio) any { return b.ISBN }, "9780306406157"},
		{"isbn X check", rec(bookLeader, "020   $a184533213x"), func(b marc.Biblio) any { return b.ISBN }, "184533213X"},
		{"isbn prefers valid check digit", rec(bookLeader, "020   $a0306406153", "020   $a0306406152"), func(b marc.Biblio) any { return b.ISBN }, "0306406152"},
		{"isbn shaped but wrong", rec(bookLeader, "020   $a0306406153"), func(b marc.Biblio) any { return b.ISBN }, "0306406153"},
		{"isbn raw fallback", rec(bookLeader, "020   $aHL00361126 :"), func(b marc.Biblio) any { return b.ISBN }, "HL00361126"},
		{"isbn $z ignored", rec(bookLeader, "020   $z0306406152"), func(b marc.Biblio) any { return b.ISBN }, ""},
		{"isbn prefix", rec(bookLeader, "020   $aISBN 0306406152"), func(b marc.Biblio) any { return b.ISBN }, "0306406152"},
		{"language from 041", rec(bookLeader, "008 020121s1999    cau           000 0 |||", "041 0 $afreeng"), func(b marc.Biblio) any { return b.Language }, "fre"},
		{"year from 260", rec(bookLeader, "008 020121nuuuu    cau", "260   $aParis :$bX,$cc1987."), func(b marc.Biblio) any { return b.Year }, 1987},
		{"year from 264 ind2 1 over copyright", rec(bookLeader, "264  4$c©2013", "264  1$c[2012]"), func(b marc.Biblio) any { return b.Year }, 2012},
		{"no year", rec(bookLeader, "260   $cn.d."), func(b marc.Biblio) any { return b.Year }, 0},
		{"publisher 264 1 over 260", rec(bookLeader, "260   $bOld,", "264  1$bNew ;"), func(b marc.Biblio) any { return b.Publisher }, "New"},
		{"publisher not identified", rec(bookLeader, "264  1$b[publisher not identified],"), func(b marc.Biblio) any { return b.Publisher }, ""},
		{"call number 050", rec(bookLeader, "082 04$a781.65/092", "050 00$aML419.C645$bA3 1999"), func(b marc.Biblio) any { return b.CallNumber }, "ML419.C645 A3 1999"},
		{"call number 082", rec(bookLeader, "082 04$a781.65/092", "092   $aX"), func(b marc.Biblio) any { return b.CallNumber }, "781.65092"},
		{"call number 090", rec(bookLeader, "090   $aPZ7$b.P3", "082 04$a781"), func(b marc.Biblio) any { return b.CallNumber }, "PZ7 .P3"},
		{"non-sort markers stripped for display", rec(bookLeader, "245 10$a\u0098The \u009cjazz age /$cMe."), func(b marc.Biblio) any { return b.Title }, "The jazz age"},
		{"non-sort markers give the sort form", rec(bookLeader, "245 10$a\u0098The \u009cjazz age /$cMe."), func(b marc.Biblio) any { return b.SortTitle }, "jazz age"},
		{"non-sort markers inside the title", rec(bookLeader, "245 10$aJazz :$b\u0098the \u009cstory"), func(b marc.Biblio) any { return b.Subtitle }, "the story"},
		{"non-sort markers in an author", rec(bookLeader, "110 2 $a\u0098The \u009cBeatles."), func(b marc.Biblio) any { return b.Authors }, []string{"The Beatles"}},
		{"245 ind2 skips the article", rec(bookLeader, "245 14$aThe jazz age"), func(b marc.Biblio) any { return []string{b.Title, b.SortTitle} }, []string{"The jazz age", "jazz age"}},
		{"245 ind2 with an elided article", rec(bookLeader, "245 12$aL'amour"), func(b marc.Biblio) any { return b.SortTitle }, "amour"},
		{"245 ind2 counts a diacritic as a character", rec(bookLeader, "245 13$a\u00c0 la mode"), func(b marc.Biblio) any { return b.SortTitle }, "la mode"},
		{"245 ind2 0", rec(bookLeader, "245 10$aThe jazz age"), func(b marc.Biblio) any { return b.SortTitle }, "The jazz age"},
		{"245 ind2 ending inside a word is ignored", rec(bookLeader, "245 13$aTheory"), func(b marc.Biblio) any { return b.SortTitle }, "Theory"},
		{"245 ind2 longer than the title", rec(bookLeader, "245 19$aThe"), func(b marc.Biblio) any { return b.SortTitle }, "The"},
		{"empty record", rec(""), func(b marc.Biblio) any { return b }, marc.Biblio{Format: "other"}},
	}
	for _, tt := range tests {
		if got := tt.check(tt.r.Biblio()); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

// TestAllBiblio maps every shared record without panicking and checks
// that every record with a 245 gets a title.
func TestAllBiblio(t *testing.T) {
	for _, file := range []string{"jazz_1k.mrc", "hebrew.marc", "FSL.marc", "nepali.marc", "map_data.mrc", "serials_marc21.xml", "badisbns.xml"} {
		for i, r := range records(t, readData(t, file)) {
			b := r.Biblio()
			if _, ok := r.First("245"); ok && b.Title == "" {
				t.Errorf("%s record %d: no title", file, i+1)
			}
			if b.Year != 0 && (b.Year < 1000 || b.Year > 2100) {
				t.Errorf("%s record %d: year %d", file, i+1, b.Year)
			}
			if bytes.ContainsAny([]byte(b.Title), "\x1b\x1e\x1f") {
				t.Errorf("%s record %d: control characters in %q", file, i+1, b.Title)
			}
		}
	}
}
