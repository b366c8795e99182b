package simulations

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// peakRSS is the process's peak resident memory (Linux), or 0.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// SetSQLiteHeapLimit sets SQLite's soft heap limit, which is one for the
// whole process: page caches give memory back to stay under it. Fifty
// databases with the default caches (16 MB for the writer, 8 MB per
// reader) otherwise hold a few gigabytes.
func SetSQLiteHeapLimit(bytes int64) error {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), fmt.Sprintf("PRAGMA soft_heap_limit=%d", bytes)); err != nil {
		return fmt.Errorf("simulations: soft heap limit: %w", err)
	}
	return nil
}
