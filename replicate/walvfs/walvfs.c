// The buffered WAL writer: see walvfs.go.

#include <stdlib.h>
#include <string.h>

#include "walvfs.h"

// bufCap bounds what one WAL file holds back: a transaction larger than
// this is written in pieces of about this size (its commit frame still
// last). SQLite's unix VFS writes at most 128 KiB - 1 in one call (it masks
// the length with 0x1ffff: SQLite itself never writes more at once), so the
// bound stays under it.
#define bufCap (120 * 1024)
#define frameHdrSize 24
#define walHdrSize 32

typedef struct walFile {
	sqlite3_file base;  // pMethods: walMethods
	sqlite3_file *real; // the file of the VFS wrapped, allocated after this
	char *buf;          // bytes held back, for the file from off
	int len;
	sqlite3_int64 off;
	int commitPending; // a commit frame's header was written: its page ends the run
	int afterHeader;   // the last write was a frame's header
} walFile;

static sqlite3_vfs *orig;
static sqlite3_vfs walVfs;
static sqlite3_io_methods walMethods;

// stacks_walvfs_writes counts the writes the wrapped files received, for
// the tests.
unsigned long long stacks_walvfs_writes;

static int realWrite(walFile *p, const void *z, int n, sqlite3_int64 off) {
	__atomic_add_fetch(&stacks_walvfs_writes, 1, __ATOMIC_RELAXED);
	return p->real->pMethods->xWrite(p->real, z, n, off);
}

// flush writes what is held back. On an error it is dropped: SQLite fails
// the statement that called, and with it the transaction whose frames
// they were (none of them is in the WAL index yet).
static int flush(walFile *p) {
	int rc;
	if (p->len == 0) {
		return SQLITE_OK;
	}
	rc = realWrite(p, p->buf, p->len, p->off);
	p->len = 0;
	return rc;
}

static int wClose(sqlite3_file *f) {
	walFile *p = (walFile *)f;
	int rc = flush(p);
	int rc2 = p->real->pMethods->xClose(p->real);
	free(p->buf);
	p->buf = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wRead(sqlite3_file *f, void *z, int n, sqlite3_int64 off) {
	walFile *p = (walFile *)f;
	int rc = flush(p);
	if (rc != SQLITE_OK) {
		return rc;
	}
	return p->real->pMethods->xRead(p->real, z, n, off);
}

// isCommitHeader: a frame's header (24 bytes, past the WAL's own header)
// whose second field, the database's size in pages after the commit, is
// set only in a transaction's last frame.
static int isCommitHeader(const void *z, int n, sqlite3_int64 off) {
	const unsigned char *b = z;
	return n == frameHdrSize && off >= walHdrSize && (b[4] | b[5] | b[6] | b[7]) != 0;
}

// wWrite holds writes back while they continue one another, and writes
// them as one when the page of a commit frame arrives: SQLite writes each
// frame's header and page apart (two writes a page), the commit frame
// last, and publishes the commit in the WAL index only after its frames
// are written; readers look for no frame past the index's end. A write
// elsewhere, or any other use of the file, writes what is held first.
// A commit frame's header with nothing held before it (a transaction of
// one frame, or SQLite rewriting the checksums of frames it wrote again,
// header by header, after reading each) is written at once: a header
// rewritten last must not wait for a page that never comes.
static int wWrite(sqlite3_file *f, const void *z, int n, sqlite3_int64 off) {
	walFile *p = (walFile *)f;
	int rc;
	int commitHeader = isCommitHeader(z, n, off);
	// The page of the commit frame whose header came last (a flush to make
	// room for it must not forget that it ends the transaction).
	int endsCommit = p->commitPending && !commitHeader;
	// Only the pattern SQLite is known to write is held back: the WAL's
	// header, then frames, each a header and a page. Anything else (a
	// page written again in place, or another SQLite writing otherwise)
	// is written at once, with whatever was held.
	int expected = n == frameHdrSize || p->afterHeader || (off == 0 && n == walHdrSize);
	p->afterHeader = n == frameHdrSize;
	if (p->len > 0 && (off != p->off + p->len || p->len + n > bufCap)) {
		if ((rc = flush(p)) != SQLITE_OK) {
			return rc;
		}
	}
	if (p->len == 0) {
		if (commitHeader || n > bufCap) {
			p->commitPending = commitHeader;
			return realWrite(p, z, n, off);
		}
		if (p->buf == 0 && (p->buf = malloc(bufCap)) == 0) {
			return realWrite(p, z, n, off);
		}
		p->off = off;
	}
	memcpy(p->buf + p->len, z, n);
	p->len += n;
	if (commitHeader) {
		p->commitPending = 1;
		return SQLITE_OK;
	}
	if (endsCommit || !expected) {
		p->commitPending = 0;
		return flush(p);
	}
	return SQLITE_OK;
}

#define FLUSHED(body)                       \
	walFile *p = (walFile *)f;          \
	int rc = flush(p);                  \
	if (rc != SQLITE_OK) {              \
		return rc;                  \
	}                                   \
	return body;

static int wTruncate(sqlite3_file *f, sqlite3_int64 size) { FLUSHED(p->real->pMethods->xTruncate(p->real, size)) }
static int wSync(sqlite3_file *f, int flags) { FLUSHED(p->real->pMethods->xSync(p->real, flags)) }
static int wFileSize(sqlite3_file *f, sqlite3_int64 *size) { FLUSHED(p->real->pMethods->xFileSize(p->real, size)) }
static int wLock(sqlite3_file *f, int l) { FLUSHED(p->real->pMethods->xLock(p->real, l)) }
static int wUnlock(sqlite3_file *f, int l) { FLUSHED(p->real->pMethods->xUnlock(p->real, l)) }
static int wCheckReservedLock(sqlite3_file *f, int *out) { FLUSHED(p->real->pMethods->xCheckReservedLock(p->real, out)) }
static int wFileControl(sqlite3_file *f, int op, void *arg) { FLUSHED(p->real->pMethods->xFileControl(p->real, op, arg)) }
static int wShmUnmap(sqlite3_file *f, int del) { FLUSHED(p->real->pMethods->xShmUnmap(p->real, del)) }
static int wFetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) { FLUSHED(p->real->pMethods->xFetch(p->real, off, n, pp)) }

static int wSectorSize(sqlite3_file *f) { return ((walFile *)f)->real->pMethods->xSectorSize(((walFile *)f)->real); }
static int wDeviceCharacteristics(sqlite3_file *f) {
	return ((walFile *)f)->real->pMethods->xDeviceCharacteristics(((walFile *)f)->real);
}
static int wShmMap(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp) {
	return ((walFile *)f)->real->pMethods->xShmMap(((walFile *)f)->real, pg, sz, ext, pp);
}
static int wShmLock(sqlite3_file *f, int ofst, int n, int flags) {
	return ((walFile *)f)->real->pMethods->xShmLock(((walFile *)f)->real, ofst, n, flags);
}
static void wShmBarrier(sqlite3_file *f) { ((walFile *)f)->real->pMethods->xShmBarrier(((walFile *)f)->real); }
static int wUnfetch(sqlite3_file *f, sqlite3_int64 off, void *ptr) {
	return ((walFile *)f)->real->pMethods->xUnfetch(((walFile *)f)->real, off, ptr);
}

// wOpen opens every file with the wrapped VFS; a WAL is wrapped in turn.
static int wOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
	walFile *p = (walFile *)f;
	int rc;
	(void)vfs;
	if ((flags & SQLITE_OPEN_WAL) == 0) {
		return orig->xOpen(orig, name, f, flags, outFlags);
	}
	memset(p, 0, sizeof(*p));
	p->real = (sqlite3_file *)&p[1];
	rc = orig->xOpen(orig, name, p->real, flags, outFlags);
	if (p->real->pMethods == 0) {
		return rc;
	}
	if (p->real->pMethods->iVersion < 3) {
		// Not the io methods this was written against: no buffering.
		p->real->pMethods->xClose(p->real);
		memset(p, 0, sizeof(*p));
		return orig->xOpen(orig, name, f, flags, outFlags);
	}
	walMethods.iVersion = 3;
	p->base.pMethods = &walMethods;
	return rc;
}

// stacks_walvfs_register registers the VFS under name, wrapping the
// default one. It returns an SQLite result code.
int stacks_walvfs_register(const char *name) {
	orig = sqlite3_vfs_find(0);
	if (orig == 0) {
		return SQLITE_ERROR;
	}
	walVfs = *orig;
	walVfs.pNext = 0;
	walVfs.zName = name;
	walVfs.szOsFile = (int)sizeof(walFile) + orig->szOsFile;
	walVfs.xOpen = wOpen;
	walMethods = (sqlite3_io_methods){
		.iVersion = 3,
		.xClose = wClose,
		.xRead = wRead,
		.xWrite = wWrite,
		.xTruncate = wTruncate,
		.xSync = wSync,
		.xFileSize = wFileSize,
		.xLock = wLock,
		.xUnlock = wUnlock,
		.xCheckReservedLock = wCheckReservedLock,
		.xFileControl = wFileControl,
		.xSectorSize = wSectorSize,
		.xDeviceCharacteristics = wDeviceCharacteristics,
		.xShmMap = wShmMap,
		.xShmLock = wShmLock,
		.xShmBarrier = wShmBarrier,
		.xShmUnmap = wShmUnmap,
		.xFetch = wFetch,
		.xUnfetch = wUnfetch,
	};
	return sqlite3_vfs_register(&walVfs, 0);
}
