//go:build !windows

package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// processAlive reports whether the node process pid still runs.
func processAlive(pid int) bool {
	// Signal 0 checks existence; a reaped child is gone, a zombie is not
	// waited on here (spawn's goroutine reaps it).
	err := syscall.Kill(pid, 0)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || !strings.Contains(string(b), ") Z ")
}
