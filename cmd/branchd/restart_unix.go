//go:build unix

package main

import (
	"os"
	"syscall"
)

// restart replaces the process with branchd's own binary, same arguments,
// environment env (same process ID, open files and parent); it returns
// only on an error.
func restart(env []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, env)
}
