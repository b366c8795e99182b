package marc

import "strings"

// The formats Format returns.
const (
	FormatBook       = "book"
	FormatLargePrint = "large_print"
	FormatEbook      = "ebook"
	FormatAudiobook  = "audiobook"
	FormatEaudiobook = "eaudiobook"
	FormatMusicCD    = "music_cd"
	FormatDVD        = "dvd"
	FormatBluray     = "bluray"
	FormatScore      = "score"
	FormatMap        = "map"
	FormatSerial     = "serial"
	FormatPhoto      = "photo"
	FormatVideo      = "video"
	FormatGame       = "game"
	FormatOther      = "other"
)

// Format classifies the item the record describes into the catalogue's
// small vocabulary (the Format* constants), from leader/06 (type of
// record), leader/07 (bibliographic level), the 007 physical description,
// 008 form of item and the RDA 336-338 and 538 notes:
//
//	leader/07 s (serial)           serial
//	leader/06 j (musical sound)    music_cd
//	leader/06 i (nonmusical sound) eaudiobook if online, else audiobook
//	leader/06 g (projected medium) bluray, dvd or video
//	leader/06 c, d (notated music) score
//	leader/06 e, f (cartographic)  map
//	leader/06 k (2-D graphic)      photo
//	leader/06 a, t (language)      ebook if electronic, large_print if
//	                               008/23 d or a "large print" 250/300/340,
//	                               else book
//	leader/06 m (computer file)    game if 008/26 g; eaudiobook if 008/26 h
//	                               and online; ebook if online or
//	                               "[electronic resource]" (older e-book
//	                               records are coded so), else other
//	anything else                  other
//
// "Online" is 007 "cr" (remote electronic resource), RDA carrier type
// (338) "online resource", form of item 008/23 o, or a 245 $h
// "[electronic resource]".
func (r *Record) Format() string {
	if r.leaderAt(7) == 's' {
		return FormatSerial
	}
	switch r.leaderAt(6) {
	case 'j':
		return FormatMusicCD
	case 'i':
		if r.online() {
			return FormatEaudiobook
		}
		return FormatAudiobook
	case 'g':
		return r.videoFormat()
	case 'c', 'd':
		return FormatScore
	case 'e', 'f':
		return FormatMap
	case 'k':
		return FormatPhoto
	case 'a', 't':
		if r.electronic() {
			return FormatEbook
		}
		if r.largePrint() {
			return FormatLargePrint
		}
		return FormatBook
	case 'm':
		return r.computerFileFormat()
	}
	return FormatOther
}

// computerFileFormat classifies leader/06 m by 008/26, type of computer
// file, and whether it is online.
func (r *Record) computerFileFormat() string {
	var fileType byte = ' '
	if f := r.Control("008"); len(f) > 26 {
		fileType = f[26]
	}
	switch {
	case fileType == 'g':
		return FormatGame
	case fileType == 'h' && r.online():
		return FormatEaudiobook
	case strings.IndexByte("abcefhij", fileType) >= 0:
		return FormatOther // data, software, fonts, sound files, systems
	case r.online():
		return FormatEbook // document, combination, unknown, other
	}
	return FormatOther
}

// online reports whether the resource is read or heard online.
func (r *Record) online() bool {
	for _, f := range r.Get("007") {
		if strings.HasPrefix(f.Value, "cr") {
			return true
		}
	}
	if strings.Contains(strings.ToLower(r.subText("338", 'a')), "online resource") {
		return true
	}
	if f := r.Control("008"); len(f) > 23 && f[23] == 'o' {
		return true
	}
	return strings.Contains(strings.ToLower(r.subText("245", 'h')), "electronic resource")
}

// largePrint reports whether a printed text is in large print: 008/23 d,
// or "large print" in the edition (250), extent (300) or font size (340).
func (r *Record) largePrint() bool {
	if f := r.Control("008"); len(f) > 23 && f[23] == 'd' {
		return true
	}
	notes := strings.ToLower(r.subText("250", 'a') + " " + r.subText("300", 'a') + " " + r.subText("340", 'n'))
	return strings.Contains(notes, "large print") || strings.Contains(notes, "large type")
}

// videoFormat tells Blu-ray from DVD from other video. 007/00-01 "vd" is
// a videodisc, and 007/04 gives its format: 's' Blu-ray, 'v' DVD.
func (r *Record) videoFormat() string {
	notes := strings.ToLower(r.subText("338", 'a') + " " + r.subText("538", 'a') + " " +
		r.subText("300", 'a') + " " + r.subText("347", 'b') + " " + r.subText("245", 'h'))
	if strings.Contains(notes, "blu-ray") || strings.Contains(notes, "bluray") || strings.Contains(notes, "blu ray") {
		return FormatBluray
	}
	disc := strings.Contains(notes, "dvd") || strings.Contains(notes, "videodisc")
	for _, f := range r.Get("007") {
		if strings.HasPrefix(f.Value, "vd") {
			if len(f.Value) > 4 && f.Value[4] == 's' {
				return FormatBluray
			}
			disc = true
		}
	}
	if disc {
		return FormatDVD
	}
	return FormatVideo
}

// electronic reports whether a text is an electronic resource: 008/23
// form of item o (online), q (direct electronic) or s (electronic); else
// RDA media type (337) "computer" without "unmediated" (a print book with
// a disc is still a book); else a 007 for a computer file.
func (r *Record) electronic() bool {
	for _, f := range r.Get("008") {
		if len(f.Value) > 23 && strings.IndexByte("oqs", f.Value[23]) >= 0 {
			return true
		}
	}
	if media := strings.ToLower(r.subText("337", 'a')); media != "" {
		return strings.Contains(media, "computer") && !strings.Contains(media, "unmediated")
	}
	for _, f := range r.Get("007") {
		if strings.HasPrefix(f.Value, "c") {
			return true
		}
	}
	return false
}

// subText joins every subfield code of every field tag.
func (r *Record) subText(tag string, code byte) string {
	var parts []string
	for _, f := range r.Get(tag) {
		parts = append(parts, f.SubAll(code)...)
	}
	return strings.Join(parts, " ")
}
