package replicate

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts the write-out of f's dirty pages and returns
// without waiting for it (sync_file_range(2) with SYNC_FILE_RANGE_WRITE):
// no metadata, no flush of the disk's cache, so it promises nothing about
// durability; the fsync that does comes later and finds less to write.
func startWriteback(f *os.File) error {
	return unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
