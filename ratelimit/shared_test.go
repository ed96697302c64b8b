package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// sharedCount is a Shared counter in memory, standing in for the database
// two instances share (the PostgreSQL backend's is tested with the backend).
type sharedCount struct {
	mu   sync.Mutex
	now  func() time.Time
	rows map[string]struct {
		n     int
		until time.Time
	}
	down bool
}

func (s *sharedCount) Failures(_ context.Context, scope, key string) (int, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return 0, time.Time{}, errors.New("connection refused")
	}
	r := s.rows[scope+"|"+key]
	if !s.now().Before(r.until) {
		return 0, time.Time{}, nil
	}
	return r.n, r.until, nil
}

func (s *sharedCount) AddFailure(_ context.Context, scope, key string, window time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return 0, errors.New("connection refused")
	}
	r := s.rows[scope+"|"+key]
	if !s.now().Before(r.until) {
		r.n, r.until = 0, s.now().Add(window)
	}
	r.n++
	s.rows[scope+"|"+key] = r
	return r.n, nil
}

func twoInstances(limit int) (a, b *Failures, shared *sharedCount, clk *clock) {
	clk = &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	shared = &sharedCount{now: clk.now, rows: map[string]struct {
		n     int
		until time.Time
	}{}}
	cfg := Config{Limit: limit, Window: time.Minute, Now: clk.now, Shared: shared, Scope: "signin"}
	return New(cfg), New(cfg), shared, clk
}

func TestSharedFailuresCountAcrossInstances(t *testing.T) {
	a, b, _, clk := twoInstances(4)
	// Alternate instances: each sees only two failures itself.
	for i := range 4 {
		f := a
		if i%2 == 1 {
			f = b
		}
		if !fail(f, "10.0.0.1") {
			t.Fatalf("failure %d refused", i+1)
		}
	}
	for name, f := range map[string]*Failures{"a": a, "b": b} {
		if at, wait := f.Begin(context.Background(), "10.0.0.1"); at != nil || wait != time.Minute {
			t.Fatalf("instance %s: fifth attempt %v, wait %v; want refused for 1m", name, at, wait)
		}
	}
	if at, _ := b.Begin(context.Background(), "10.0.0.2"); at == nil {
		t.Fatal("another address is refused")
	} else {
		at.Succeeded()
	}
	clk.advance(time.Minute)
	if !fail(b, "10.0.0.1") {
		t.Fatal("refused after the shared window ended")
	}
}

func TestSharedFailedReportsTheLimitOnce(t *testing.T) {
	a, b, _, _ := twoInstances(2)
	at, _ := a.Begin(context.Background(), "10.0.0.1")
	if at.Failed() {
		t.Fatal("first failure reported the limit")
	}
	at, _ = b.Begin(context.Background(), "10.0.0.1")
	if !at.Failed() {
		t.Fatal("the failure that used up the shared count did not report it")
	}
}

func TestSharedSucceededGivesBackTheLocalAttempt(t *testing.T) {
	a, _, _, _ := twoInstances(1)
	for range 3 {
		at, _ := a.Begin(context.Background(), "10.0.0.1")
		if at == nil {
			t.Fatal("a correct attempt was refused")
		}
		at.Succeeded()
	}
}

func TestSharedCounterDownFallsBackToTheLocalCount(t *testing.T) {
	a, _, shared, _ := twoInstances(2)
	shared.down = true
	for i := range 2 {
		if !fail(a, "10.0.0.1") {
			t.Fatalf("failure %d refused while under the local limit", i+1)
		}
	}
	if at, _ := a.Begin(context.Background(), "10.0.0.1"); at != nil {
		t.Fatal("the local limit no longer applies when the shared counter is down")
	}
}
