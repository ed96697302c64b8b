package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/localapi/store"
)

// testConcurrentWritesOfOneThing: writers racing on one name, one key's
// use, one key's revocation: each change happens once and is recorded
// once, as several server instances on one database need.
func testConcurrentWritesOfOneThing(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := b.PutSealed(ctx, nil, alpha.ID, "RACE", "", []byte(fmt.Sprint("v", i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	events, err := b.AuditEvents(ctx, store.AuditQuery{TenantID: alpha.ID, Secret: "RACE"})
	must(t, err)
	added := 0
	for _, e := range events {
		if e.Action == store.AuditSecretAdded {
			added++
		}
	}
	if len(events) != n || added != 1 {
		t.Fatalf("%d events, %d of them added; want %d, 1", len(events), added, n)
	}

	must(t, b.CreateKey(ctx, store.NewKey{ID: "k-race", Hash: "h-race", Tenant: alpha, Role: store.RoleUser}))
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var wrote, revoked atomic.Int32
	for range n {
		wg.Go(func() {
			ok, err := b.TouchKey(ctx, "k-race", at, at.Add(-time.Hour))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wrote.Add(1)
			}
		})
	}
	wg.Wait()
	if wrote.Load() != 1 {
		t.Fatalf("%d concurrent uses in one window wrote %d times, want once", n, wrote.Load())
	}
	for range n {
		wg.Go(func() {
			ok, err := b.DeleteKey(ctx, "k-race")
			if err != nil {
				t.Error(err)
			}
			if ok {
				revoked.Add(1)
			}
		})
	}
	wg.Wait()
	if revoked.Load() != 1 {
		t.Fatalf("%d concurrent revocations found the key %d times, want once", n, revoked.Load())
	}
	if c, _ := b.AuditCount(ctx, store.AuditQuery{TenantID: alpha.ID}); c != n+2 {
		t.Fatalf("%d events, want %d (the puts, the key made and revoked once)", c, n+2)
	}
}

// testEmptyPutAndTimes: an empty batch writes nothing; times keep their
// microseconds and come back in UTC.
func testEmptyPutAndTimes(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	must(t, b.PutSealedMany(ctx, nil, alpha.ID, "", map[string][]byte{}))
	if n, _ := b.AuditCount(ctx, store.AuditQuery{AllTenants: true}); n != 0 {
		t.Fatalf("an empty batch recorded %d events", n)
	}
	expires := time.Date(2031, 2, 3, 4, 5, 6, 123456000, time.FixedZone("CET", 3600))
	must(t, b.CreateKey(ctx, store.NewKey{ID: "k1", Hash: "h1", Tenant: alpha, Role: store.RoleUser, ExpiresAt: expires}))
	k, err := b.KeyByHash(ctx, "h1")
	must(t, err)
	if !k.ExpiresAt.Equal(expires) || k.ExpiresAt.Location() != time.UTC {
		t.Fatalf("ExpiresAt = %v, want %v in UTC", k.ExpiresAt, expires)
	}
	events, err := b.AuditEvents(ctx, store.AuditQuery{TenantID: alpha.ID})
	must(t, err)
	if len(events) != 1 || events[0].Time.Location() != time.UTC || time.Since(events[0].Time) > time.Minute {
		t.Fatalf("events = %+v", events)
	}
}
