package replicatetest

import (
	"bytes"
	"sync"
	"testing"
)

// TBWriter sends what is written (log lines) to a test's log.
type TBWriter struct{ TB testing.TB }

func (w TBWriter) Write(p []byte) (int, error) {
	w.TB.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// SyncBuffer collects output from many goroutines (a server's log, a
// process's stdout) for a test to read while it is written.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
