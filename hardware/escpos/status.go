package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// Transmit-status requests (DLE EOT n): each asks for one status byte.
const (
	StatusPrinter = 1 // online or offline
	StatusOffline = 2 // why offline: cover open, paper end, error
	StatusPaper   = 4 // roll paper sensors: near end, end
)

// Status is what a printer said of itself. A printer that did not answer
// in time is not Known, and is treated as offline.
type Status struct {
	Known        bool `json:"known"`
	Online       bool `json:"online"`
	CoverOpen    bool `json:"cover_open,omitempty"`
	PaperNearEnd bool `json:"paper_near_end,omitempty"`
	PaperOut     bool `json:"paper_out,omitempty"`
	Error        bool `json:"error,omitempty"`
}

// Ready says a job may be sent: known, online, paper in, cover shut.
func (s Status) Ready() bool {
	return s.Known && s.Online && !s.PaperOut && !s.CoverOpen && !s.Error
}

// String is the status in a few words, for the desk and logs.
func (s Status) String() string {
	if !s.Known {
		return "unknown (no answer)"
	}
	var w []string
	switch {
	case s.PaperOut:
		w = append(w, "paper out")
	case s.PaperNearEnd:
		w = append(w, "paper low")
	}
	if s.CoverOpen {
		w = append(w, "cover open")
	}
	if s.Error {
		w = append(w, "error")
	}
	if !s.Online {
		w = append([]string{"offline"}, w...)
	} else if len(w) == 0 {
		w = append(w, "online")
	}
	return strings.Join(w, ", ")
}

// Err is nil for a ready printer, otherwise a *NotReadyError.
func (s Status) Err() error {
	if s.Ready() {
		return nil
	}
	return &NotReadyError{Status: s}
}

// NotReadyError is a printer that cannot print now.
type NotReadyError struct{ Status Status }

func (e *NotReadyError) Error() string { return "escpos: printer not ready: " + e.Status.String() }

// ErrNoAnswer is a printer that did not answer a status request in time.
var ErrNoAnswer = errors.New("escpos: the printer did not answer")

// StatusRequests are the three DLE EOT requests, in the order Apply takes
// their answers.
var StatusRequests = []byte{DLE, EOT, StatusPrinter, DLE, EOT, StatusOffline, DLE, EOT, StatusPaper}

// Apply folds the answer to DLE EOT n into s. An answer is a status byte:
// bit 0 clear, bit 1 set, bit 4 set, bit 7 clear (Epson's fixed bits).
func (s *Status) Apply(n, b byte) error {
	if b&0x93 != 0x12 {
		return fmt.Errorf("escpos: %#02x is not a status byte", b)
	}
	s.Known = true
	switch n {
	case StatusPrinter:
		s.Online = b&0x08 == 0
	case StatusOffline:
		s.CoverOpen = b&0x04 != 0
		s.PaperOut = s.PaperOut || b&0x20 != 0
		s.Error = b&0x40 != 0
	case StatusPaper:
		s.PaperNearEnd = b&0x0c != 0
		s.PaperOut = s.PaperOut || b&0x60 != 0
	default:
		return fmt.Errorf("escpos: DLE EOT %d is not a request we make", n)
	}
	return nil
}

// StatusBytes are a printer's answers to DLE EOT 1, 2 and 4 for s (what
// the emulator sends).
func StatusBytes(s Status) [3]byte {
	p, o, r := byte(0x12), byte(0x12), byte(0x12)
	if !s.Online {
		p |= 0x08
	}
	if s.CoverOpen {
		o |= 0x04
	}
	if s.PaperOut {
		o |= 0x20
		r |= 0x60
	}
	if s.Error {
		o |= 0x40
	}
	if s.PaperNearEnd {
		r |= 0x0c
	}
	return [3]byte{p, o, r}
}
