// Package walvfs is an SQLite VFS that writes each transaction's WAL
// frames with one write instead of two a page.
//
// SQLite writes a frame's 24-byte header and its page apart, so a commit of
// ten pages is twenty pwrite calls; on this project's virtual machines a
// system call is dear (central's nodes make ~190 a write, a quarter of them
// WAL pwrites). The VFS wraps SQLite's default one and, for WAL files only,
// holds the writes back while they continue one another and writes them as
// one when the page of the transaction's commit frame arrives. SQLite
// publishes a commit in the WAL index only after its frames are written,
// and readers look for no frame past it, so a reader never meets a frame
// still held; a crash loses only frames of a transaction not yet
// committed, as before. Any other use of the file (a read, a sync, a size,
// a truncation, closing it) writes what is held first. Durability is
// unchanged: SQLite's syncs come after the writes they cover.
package walvfs

/*
#include <stdlib.h>
#include "walvfs.h"

extern unsigned long long stacks_walvfs_writes;
int stacks_walvfs_register(const char *name);
static unsigned long long walvfs_writes(void) { return __atomic_load_n(&stacks_walvfs_writes, __ATOMIC_RELAXED); }
*/
import "C"

import (
	"fmt"
	"sync"

	_ "github.com/mattn/go-sqlite3" // SQLite itself, whose VFS this wraps
)

// Name is the VFS's name, for a database URI's vfs parameter.
const Name = "stacks-wal"

var (
	once   sync.Once
	regErr error
	cname  = C.CString(Name) // kept for the process's life, as SQLite keeps the pointer
)

// Register registers the VFS with SQLite (once; later calls return the
// first's result).
func Register() error {
	once.Do(func() {
		if rc := C.stacks_walvfs_register(cname); rc != 0 {
			regErr = fmt.Errorf("walvfs: registering the VFS failed (SQLite result %d)", int(rc))
		}
	})
	return regErr
}

// Writes is how many writes the VFS's WAL files have made, all files of the
// process together.
func Writes() uint64 { return uint64(C.walvfs_writes()) }
