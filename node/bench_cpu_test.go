package node_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures the CPU time (user and system) that this process and
// the given child processes spent between start and stop: a benchmark
// reports it per write beside its rate, as the cost a write has on this
// machine whatever else the machine ran at the time (a rate swings with
// other load; the CPU a write needs much less). It counts the benchmark's
// own HTTP client too, for ours and for rqlite alike.
type cpuMeter struct {
	pids  []int
	start time.Duration
}

func newCPUMeter(b *testing.B, pids ...int) *cpuMeter {
	m := &cpuMeter{pids: pids}
	m.start = m.total(b)
	return m
}

// perOp is the CPU spent since newCPUMeter, per op, in milliseconds.
func (m *cpuMeter) perOp(b *testing.B, ops int) float64 {
	return float64(m.total(b)-m.start) / float64(time.Millisecond) / float64(ops)
}

func (m *cpuMeter) total(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	t := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, pid := range m.pids {
		t += procCPU(b, pid)
	}
	return t
}

// procCPU is a process's CPU time from /proc/PID/stat (utime and stime,
// fields 14 and 15, in clock ticks: USER_HZ, 100 a second on Linux for
// every architecture this runs on). A tick is 10 ms: with three processes
// a run's total may be off by ~30 ms, so runs of a few thousand writes.
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count from after it.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	// f[0] is field 3 (state): utime is field 14, f[11].
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
