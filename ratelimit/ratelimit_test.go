package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTest(limit int, maxAddrs int) (*Failures, *clock) {
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return New(Config{Limit: limit, Window: time.Minute, MaxAddrs: maxAddrs, Now: clk.now}), clk
}

// fail begins and fails one attempt, reporting whether it was allowed.
func fail(f *Failures, addr string) bool {
	a, _ := f.Begin(context.Background(), addr)
	if a == nil {
		return false
	}
	a.Failed()
	return true
}

func TestFailuresBlockUntilTheWindowEnds(t *testing.T) {
	f, clk := newTest(3, 0)
	for i := 0; i < 3; i++ {
		if !fail(f, "10.0.0.1") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	clk.advance(15 * time.Second)
	if a, wait := f.Begin(context.Background(), "10.0.0.1"); a != nil || wait != 45*time.Second {
		t.Fatalf("fourth attempt: %v, wait %v; want refused for 45s", a, wait)
	}
	if a, _ := f.Begin(context.Background(), "10.0.0.2"); a == nil {
		t.Fatal("another address is refused")
	}
	clk.advance(45 * time.Second)
	if !fail(f, "10.0.0.1") {
		t.Fatal("refused after the window ended")
	}
}

func TestSuccessGivesBackOnlyItsOwnAttempt(t *testing.T) {
	f, _ := newTest(5, 0)
	checked := 0
	for round := 0; round < 8; round++ {
		for i := 0; i < 4; i++ {
			if fail(f, "a") {
				checked++
			}
		}
		if a, _ := f.Begin(context.Background(), "a"); a != nil {
			a.Succeeded()
		}
	}
	if checked != 5 {
		t.Fatalf("%d failures allowed, want 5", checked)
	}
}

func TestEndingTwiceCountsOnce(t *testing.T) {
	f, _ := newTest(2, 0)
	a, _ := f.Begin(context.Background(), "a")
	a.Failed()
	a.Failed()
	a.Succeeded()
	if !fail(f, "a") {
		t.Fatal("one failure was counted more than once")
	}
	if fail(f, "a") {
		t.Fatal("a third attempt was allowed")
	}
}

func TestSucceededAttemptsLeaveNothingBehind(t *testing.T) {
	f, _ := newTest(5, 0)
	for i := 0; i < 100; i++ {
		a, _ := f.Begin(context.Background(), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		a.Succeeded()
	}
	if len(f.addrs) != 0 || f.order.Len() != 0 {
		t.Fatalf("%d addresses kept after successes", len(f.addrs))
	}
}

// Attempts begun at once are counted at once: of 100 parallel attempts
// whose check is slow, only the limit gets through.
func TestParallelAttemptsAreCountedWhenTheyBegin(t *testing.T) {
	f := New(Config{Limit: 5, Window: time.Minute})
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			a, wait := f.Begin(context.Background(), "a")
			if a == nil {
				if wait <= 0 {
					t.Error("refused without a wait")
				}
				refused.Add(1)
				return
			}
			allowed.Add(1)
			time.Sleep(20 * time.Millisecond) // a slow check
			a.Failed()
		})
	}
	close(start)
	wg.Wait()
	if allowed.Load() != 5 || refused.Load() != 95 {
		t.Fatalf("%d allowed, %d refused; want 5 and 95", allowed.Load(), refused.Load())
	}
}

// Correct attempts at once from one address wait for a free place instead
// of being refused.
func TestParallelSuccessesWaitRatherThanFail(t *testing.T) {
	f := New(Config{Limit: 3, Window: time.Minute})
	var allowed, inFlight, most atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a, _ := f.Begin(ctx, "office")
			if a == nil {
				t.Error("a correct attempt was refused")
				return
			}
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			inFlight.Add(-1)
			allowed.Add(1)
			a.Succeeded()
		})
	}
	wg.Wait()
	if allowed.Load() != 20 || most.Load() > 3 {
		t.Fatalf("%d allowed, at most %d at once; want 20, at most 3", allowed.Load(), most.Load())
	}
}

func TestWaitingEndsWithTheContext(t *testing.T) {
	f, _ := newTest(1, 0)
	held, _ := f.Begin(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if a, wait := f.Begin(ctx, "a"); a != nil || wait != time.Second {
		t.Fatalf("got %v, wait %v; want refused, retry in 1s", a, wait)
	}
	held.Succeeded()
	if a, _ := f.Begin(context.Background(), "a"); a == nil {
		t.Fatal("refused after the attempt in flight ended")
	}
}

// A flood of addresses cannot grow the table: beyond MaxAddrs they share
// one count, and the table empties as windows end.
func TestAFloodOfAddressesIsBoundedAndSharesOneLimit(t *testing.T) {
	f, clk := newTest(5, 100)
	allowed := 0
	for i := 0; i < 10000; i++ {
		if fail(f, fmt.Sprintf("2001:db8:%x::1", i)) {
			allowed++
		}
	}
	if len(f.addrs) != 100 || f.order.Len() != 100 {
		t.Fatalf("%d addresses tracked, want 100", len(f.addrs))
	}
	if allowed != 100+5 {
		t.Fatalf("%d attempts allowed, want 100 tracked + 5 shared", allowed)
	}
	if a, wait := f.Begin(context.Background(), "198.51.100.7"); a != nil || wait <= 0 {
		t.Fatal("a new address got past the shared limit during the flood")
	}
	clk.advance(time.Minute)
	if !fail(f, "198.51.100.7") {
		t.Fatal("refused after the flood's windows ended")
	}
	if len(f.addrs) != 1 {
		t.Fatalf("%d addresses tracked after the windows ended, want 1", len(f.addrs))
	}
}

// An attempt still in flight when its window ends is counted in the next.
func TestAttemptInFlightAcrossTheWindowCountsInTheNext(t *testing.T) {
	f, clk := newTest(2, 0)
	fail(f, "a")
	slow, _ := f.Begin(context.Background(), "a")
	clk.advance(time.Minute)
	if !fail(f, "a") { // the new window: one failure, one in flight
		t.Fatal("refused in a new window")
	}
	slow.Failed()
	if fail(f, "a") {
		t.Fatal("the late failure was not counted")
	}
}

// An attempt never ended (its caller panicked, say) is forgotten after the
// window that carried it, and ending it then changes nothing.
func TestAnAttemptNeverEndedIsForgotten(t *testing.T) {
	f, clk := newTest(1, 0)
	lost, _ := f.Begin(context.Background(), "a")
	if a, _ := f.Begin(context.Background(), "b"); a == nil {
		t.Fatal("another address is refused")
	} else {
		a.Succeeded()
	}
	clk.advance(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if a, _ := f.Begin(ctx, "a"); a != nil {
		t.Fatal("the attempt in flight was not carried into the next window")
	}
	clk.advance(time.Minute)
	if len(f.addrs) != 1 || f.order.Len() != 1 {
		t.Fatalf("%d addresses tracked", len(f.addrs))
	}
	a, _ := f.Begin(context.Background(), "a")
	if a == nil {
		t.Fatal("the attempt never ended still holds its place")
	}
	lost.Failed() // too late: ignored
	a.Succeeded()
	if len(f.addrs) != 0 {
		t.Fatalf("%d addresses tracked after everything ended", len(f.addrs))
	}
	if !fail(f, "a") {
		t.Fatal("the late failure was counted")
	}
}

func TestIPv6AddressesCountByTheirSlash64(t *testing.T) {
	f, _ := newTest(3, 100)
	for i := range 3 {
		if !fail(f, fmt.Sprintf("2001:db8:1:2::%x", i+1)) {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if fail(f, "2001:db8:1:2:ffff::9") {
		t.Fatal("another address of the same /64 was not limited")
	}
	if !fail(f, "2001:db8:1:3::1") || !fail(f, "192.0.2.1") || !fail(f, "::ffff:192.0.2.2") {
		t.Fatal("another /64, or an IPv4 address, was limited")
	}
}

func TestFailedSaysWhenTheLimitIsReached(t *testing.T) {
	f, _ := newTest(3, 100)
	var reached []bool
	for range 3 {
		a, _ := f.Begin(context.Background(), "192.0.2.3")
		reached = append(reached, a.Failed())
	}
	if fmt.Sprint(reached) != "[false false true]" {
		t.Fatalf("limit reached: %v", reached)
	}
}
