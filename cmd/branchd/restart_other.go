//go:build !unix

package main

import "errors"

// restart is not possible here: branchd runs with the runtime's defaults.
func restart([]string) error {
	return errors.New("not supported on this system")
}
