package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/localapi/store"
)

// The Rekey tests stand for the vault with a pretend "seal": a value
// sealed under key k is "k:" and its text, and the key check of key k is
// "check-k". So a test sees at a glance which key a value is under, and
// the backend sees bytes only, as always.

// pretendReseal moves a value from key from to key to, refusing one that
// is not under from (as the vault refuses a value that does not open).
func pretendReseal(from, to string) func(store.Sealed) ([]byte, error) {
	return func(s store.Sealed) ([]byte, error) {
		text, ok := bytes.CutPrefix(s.Value, []byte(from+":"))
		if !ok {
			return nil, fmt.Errorf("%s does not open with key %s", s.Name, from)
		}
		return append([]byte(to+":"), text...), nil
	}
}

func epochOf(k string) store.KeyEpoch { return store.KeyEpoch("check-" + k) }

// allSealed is every stored value, by "team id/name".
func allSealed(t *testing.T, b store.Backend) map[string]string {
	t.Helper()
	all := map[string]string{}
	must(t, b.EachSealed(t.Context(), func(s store.Sealed) error {
		all[s.TenantID+"/"+s.Name] = string(s.Value)
		return nil
	}))
	return all
}

func rotations(t *testing.T, b store.Backend) []store.AuditEvent {
	t.Helper()
	events, err := b.AuditEvents(t.Context(), store.AuditQuery{AllTenants: true})
	must(t, err)
	var out []store.AuditEvent
	for _, e := range events {
		if e.Action == store.AuditMasterKeyRotated {
			out = append(out, e)
		}
	}
	return out
}

// keyedStore is a backend with key check "check-1" and values under key 1
// in two teams: more than one batch of them, so that reading in batches
// is tested too.
func keyedStore(t *testing.T, b store.Backend, perTeam int) (alpha, beta store.Tenant) {
	t.Helper()
	ctx := t.Context()
	must(t, b.InitKeyCheck(ctx, epochOf("1")))
	alpha, beta = team(t, b, "alpha"), team(t, b, "beta")
	for _, tn := range []store.Tenant{alpha, beta} {
		values := map[string][]byte{}
		for i := range perTeam {
			values[fmt.Sprintf("N%04d", i)] = []byte(fmt.Sprintf("1:%s-%d", tn.Slug, i))
		}
		must(t, b.PutSealedMany(ctx, epochOf("1"), tn.ID, "ann", values))
	}
	return alpha, beta
}

// ResealAll replaces every value and the key check in one go, keeps the
// metadata, and records one event in no team.
func testResealAll(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, _ := keyedStore(t, b, 700)
	before := allSealed(t, b)
	metas, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{})
	must(t, err)

	seen := map[string]int{}
	n, err := b.ResealAll(ctx, epochOf("1"), epochOf("2"), func(s store.Sealed) ([]byte, error) {
		seen[s.TenantID+"/"+s.Name]++
		return pretendReseal("1", "2")(s)
	})
	must(t, err)
	if n != len(before) || len(seen) != len(before) {
		t.Fatalf("resealed %d, saw %d distinct values; the store holds %d", n, len(seen), len(before))
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("%s given to reseal %d times", k, c)
		}
	}
	after := allSealed(t, b)
	for k, v := range before {
		if want := "2:" + strings.TrimPrefix(v, "1:"); after[k] != want {
			t.Fatalf("%s = %q after the reseal, want %q", k, after[k], want)
		}
	}
	if got, err := b.KeyCheck(ctx); err != nil || string(got) != "check-2" {
		t.Fatalf("KeyCheck = %q, %v; want the new check", got, err)
	}
	metasAfter, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{})
	must(t, err)
	if fmt.Sprint(metasAfter) != fmt.Sprint(metas) {
		t.Fatal("the reseal changed the secrets' metadata (last update, author)")
	}
	ev := rotations(t, b)
	if len(ev) != 1 || ev[0].TenantID != "" || ev[0].Outcome != store.OutcomeOK || ev[0].Target != fmt.Sprintf("%d values resealed", n) {
		t.Fatalf("rotation events = %+v, want one in no team saying how many values", ev)
	}

	// And again, from the new check.
	if n, err := b.ResealAll(ctx, epochOf("2"), epochOf("3"), pretendReseal("2", "3")); err != nil || n != len(before) {
		t.Fatalf("second reseal: %d, %v", n, err)
	}
}

// A reseal that fails anywhere (a value that does not open, or a check
// that is no longer the store's) changes nothing at all.
func testResealAllAllOrNothing(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, _ := keyedStore(t, b, 600)
	must(t, b.PutSealed(ctx, epochOf("1"), alpha.ID, "N0599", "", []byte("9:sealed under another key")))
	before := allSealed(t, b)

	calls := 0
	_, err := b.ResealAll(ctx, epochOf("1"), epochOf("2"), func(s store.Sealed) ([]byte, error) {
		calls++
		return pretendReseal("1", "2")(s)
	})
	if err == nil || !strings.Contains(err.Error(), "N0599 does not open") {
		t.Fatalf("reseal over a value under another key: %v", err)
	}
	if calls < 2 {
		t.Fatalf("reseal gave up after %d values; the test wants a failure after some were resealed", calls)
	}
	if !maps.Equal(allSealed(t, b), before) {
		t.Fatal("a failed reseal changed values")
	}
	if got, _ := b.KeyCheck(ctx); string(got) != "check-1" {
		t.Fatalf("a failed reseal changed the key check to %q", got)
	}

	stop := errors.New("stop")
	if _, err := b.ResealAll(ctx, epochOf("1"), epochOf("2"), func(store.Sealed) ([]byte, error) { return nil, stop }); !errors.Is(err, stop) {
		t.Fatalf("reseal's own error is not returned as it is: %v", err)
	}

	calls = 0
	_, err = b.ResealAll(ctx, epochOf("0"), epochOf("2"), func(s store.Sealed) ([]byte, error) {
		calls++
		return pretendReseal("1", "2")(s)
	})
	if !errors.Is(err, store.ErrKeyChanged) || calls != 0 {
		t.Fatalf("reseal from a check that is not the store's: %v after %d values, want ErrKeyChanged before any", err, calls)
	}
	if !maps.Equal(allSealed(t, b), before) || len(rotations(t, b)) != 0 {
		t.Fatal("a refused reseal changed values or recorded a rotation")
	}
}

// Once the check has changed, a write sealed beside the old one is refused
// and leaves no trace; beside the new one (or unchecked) it is written.
func testWritesCheckTheirKeyEpoch(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, _ := keyedStore(t, b, 3)
	if _, err := b.ResealAll(ctx, epochOf("1"), epochOf("2"), pretendReseal("1", "2")); err != nil {
		t.Fatal(err)
	}
	events := len(auditActions(t, b, store.AuditQuery{TenantID: alpha.ID}))
	if err := b.PutSealed(ctx, epochOf("1"), alpha.ID, "LATE", "", []byte("1:late")); !errors.Is(err, store.ErrKeyChanged) {
		t.Fatalf("PutSealed beside the old check: %v, want ErrKeyChanged", err)
	}
	if err := b.PutSealedMany(ctx, epochOf("1"), alpha.ID, "", map[string][]byte{"LATE": []byte("1:late"), "N0000": []byte("1:x")}); !errors.Is(err, store.ErrKeyChanged) {
		t.Fatalf("PutSealedMany beside the old check: %v, want ErrKeyChanged", err)
	}
	if ok, _ := b.SecretExists(ctx, alpha.ID, "LATE"); ok {
		t.Fatal("a refused write was stored")
	}
	if v, _ := b.SealedSecret(ctx, alpha.ID, "N0000"); !bytes.HasPrefix(v, []byte("2:")) {
		t.Fatalf("a refused write replaced a value: %q", v)
	}
	if n := len(auditActions(t, b, store.AuditQuery{TenantID: alpha.ID})); n != events {
		t.Fatalf("a refused write recorded %d events", n-events)
	}
	must(t, b.PutSealed(ctx, epochOf("2"), alpha.ID, "LATE", "", []byte("2:late")))
	must(t, b.PutSealed(ctx, nil, alpha.ID, "UNCHECKED", "", []byte("2:x")))
}

// Writers keep writing while a reseal runs, each taking the new check when
// its write is refused (as the vault does). Afterwards every acknowledged
// write is there and every value is under the new key: no write sealed
// under the old key landed after the reseal.
func testResealUnderConcurrentWrites(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := keyedStore(t, b, 1000)
	var acked sync.Map // "team id/name" -> text
	var refused, afterReseal atomic.Int64
	var resealed atomic.Bool
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w, tn := range []store.Tenant{alpha, beta, alpha} {
		wg.Go(func() {
			key := "1"
			for i := 0; !stop.Load(); i++ {
				name, text := fmt.Sprintf("W%d_%05d", w, i), fmt.Sprintf("w%d-%d", w, i)
				if i%3 == 0 { // replace a value being resealed (each writer its own)
					name = fmt.Sprintf("N%04d", (i*3+w)%999)
				}
				err := b.PutSealed(ctx, epochOf(key), tn.ID, name, "", []byte(key+":"+text))
				if errors.Is(err, store.ErrKeyChanged) {
					refused.Add(1)
					key = "2"
					err = b.PutSealed(ctx, epochOf(key), tn.ID, name, "", []byte(key+":"+text))
				}
				if err != nil {
					t.Error(err)
					return
				}
				acked.Store(tn.ID+"/"+name, text)
				if resealed.Load() {
					afterReseal.Add(1)
				}
			}
		})
	}
	n, err := b.ResealAll(ctx, epochOf("1"), epochOf("2"), pretendReseal("1", "2"))
	resealed.Store(true)
	for afterReseal.Load() < 30 && !t.Failed() { // the writers go on under the new check a while
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	must(t, err)
	all := allSealed(t, b)
	for k, v := range all {
		if !strings.HasPrefix(v, "2:") {
			t.Fatalf("%s = %q: sealed under the old key after the reseal", k, v)
		}
	}
	lost := 0
	acked.Range(func(k, text any) bool {
		if all[k.(string)] != "2:"+text.(string) {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Fatalf("%d acknowledged writes missing or older than acknowledged", lost)
	}
	if refused.Load() == 0 {
		t.Fatal("no write was refused: none raced the reseal, so the test proves little")
	}
	t.Logf("resealed %d values; %d writes raced the reseal and were refused, then written under the new key", n, refused.Load())
}
