package main

import "os"

// processAlive reports whether the node process pid still runs: on
// Windows, opening a process that has exited fails.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
