//go:build !linux

package replicate

import (
	"errors"
	"os"
)

// startWriteback has no portable form: elsewhere the checkpoint's fsync
// writes the WAL's pages all at once, as before.
func startWriteback(*os.File) error { return errors.ErrUnsupported }
