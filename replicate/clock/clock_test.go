package clock_test

import (
	"reflect"
	"testing"
	"time"

	"stacks/replicate/clock"
)

var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestFakeFiresInTimeOrder(t *testing.T) {
	c := clock.NewFake(start)
	var got []string
	note := func(s string) func() {
		return func() { got = append(got, s+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, note("c"))
	c.AfterFunc(time.Second, note("a"))
	c.AfterFunc(2*time.Second, note("b1"))
	c.AfterFunc(2*time.Second, note("b2")) // same instant: in the order armed
	stopped := c.AfterFunc(2*time.Second, note("never"))
	if !stopped.Stop() {
		t.Fatal("Stop of an armed timer reported it not armed")
	}
	// A function may arm another timer; it fires in the same Advance if due.
	c.AfterFunc(1500*time.Millisecond, func() { c.AfterFunc(time.Second, note("chained")) })
	c.Advance(2500 * time.Millisecond)
	want := []string{"a@1s", "b1@2s", "b2@2s", "chained@2.5s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after 2.5s: %v, want %v", got, want)
	}
	if now := c.Now(); !now.Equal(start.Add(2500 * time.Millisecond)) {
		t.Fatalf("Now %v after Advance", now)
	}
	c.Advance(time.Second)
	want = append(want, "c@3s")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after 3.5s: %v, want %v", got, want)
	}
	if c.Waiting() != 0 {
		t.Fatalf("%d timers still armed", c.Waiting())
	}
}

func TestFakeTimerAndTicker(t *testing.T) {
	c := clock.NewFake(start)
	tm, tc := c.NewTimer(time.Minute)
	tk, kc := c.NewTicker(20 * time.Second)
	if next, ok := c.Next(); !ok || !next.Equal(start.Add(20*time.Second)) {
		t.Fatalf("Next = %v %v", next, ok)
	}
	c.Advance(59 * time.Second)
	select {
	case <-tc:
		t.Fatal("timer fired early")
	default:
	}
	// Two ticks fell due while nobody read: the channel holds the first.
	if at := <-kc; !at.Equal(start.Add(20 * time.Second)) {
		t.Fatalf("tick at %v", at)
	}
	select {
	case at := <-kc:
		t.Fatalf("second tick %v kept (a slow receiver misses ticks)", at)
	default:
	}
	c.Advance(time.Second)
	if at := <-tc; !at.Equal(start.Add(time.Minute)) {
		t.Fatalf("timer fired at %v", at)
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported it armed")
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a fired timer reported it armed")
	}
	c.Advance(time.Second)
	<-tc
	tk.Reset(time.Hour)
	<-kc // the tick at 60s
	c.Advance(59 * time.Minute)
	select {
	case <-kc:
		t.Fatal("ticker fired before its new interval")
	default:
	}
	c.Advance(time.Minute)
	<-kc
	tk.Stop()
	c.Advance(2 * time.Hour)
	select {
	case <-kc:
		t.Fatal("stopped ticker fired")
	default:
	}
}

func TestFakeSetBackwardFiresNothing(t *testing.T) {
	c := clock.NewFake(start)
	fired := 0
	c.AfterFunc(time.Minute, func() { fired++ })
	c.Set(start.Add(-time.Hour))
	if fired != 0 || !c.Now().Equal(start.Add(-time.Hour)) {
		t.Fatalf("fired %d, now %v", fired, c.Now())
	}
	c.Set(start.Add(time.Minute))
	if fired != 1 {
		t.Fatalf("fired %d after Set past the due time", fired)
	}
	if c.Since(start) != time.Minute {
		t.Fatalf("Since = %v", c.Since(start))
	}
}

func TestSystem(t *testing.T) {
	var c clock.Clock = clock.System{}
	tm, ch := c.NewTimer(time.Millisecond)
	<-ch
	tm.Stop()
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
	if c.Since(c.Now()) > time.Minute {
		t.Fatal("Since")
	}
}
