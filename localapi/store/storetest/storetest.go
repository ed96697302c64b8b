// Package storetest is the suite every store backend must pass: what the
// local API relies on, stated once, run against each backend's own tests
// (go test ./localapi/store/sqlite ./localapi/store/postgres).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// Open returns a new, empty backend for one test; the suite closes it.
type Open func(t *testing.T) store.Backend

// Run runs every test of the suite against backends from open.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, store.Backend)
	}{
		{"Teams", testTeams},
		{"MembersAndUsers", testMembersAndUsers},
		{"Keys", testKeys},
		{"KeyListExpiryRevokeAndUse", testKeyAdmin},
		{"SealedValuesComeBackByteForByte", testSealedValues},
		{"NamesOrderAndTeamIsolation", testNames},
		{"NameOrderOfMixedCasePunctuationAndNonASCII", testNameOrderMixed},
		{"PutManyAndEachSealed", testPutManyAndEach},
		{"SecretMetasPagesSearchAndActor", testSecretMetas},
		{"NamesReflectEveryWriteUnderConcurrentReads", testNamesUnderConcurrency},
		{"KeyCheckFirstOneWins", testKeyCheck},
		{"ResealAllReplacesEveryValueAndTheCheck", testResealAll},
		{"ResealAllIsAllOrNothing", testResealAllAllOrNothing},
		{"WritesCheckTheirKeyEpoch", testWritesCheckTheirKeyEpoch},
		{"ResealUnderConcurrentWrites", testResealUnderConcurrentWrites},
		{"ConcurrentWritesOfOneThingHappenOnce", testConcurrentWritesOfOneThing},
		{"EmptyBatchAndTimes", testEmptyPutAndTimes},
		{"AuditRecordsEveryChangeWithItsActor", testAudit},
		{"AuditQueriesAndPrune", testAuditQueries},
		{"Check", testCheck},
		{"ReadyWhileOpenNotAfterClose", testReady},
		{"SharedSignOutsAndFailureCounts", testShared},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t)
			t.Cleanup(func() { b.Close() })
			tc.run(t, b)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func team(t *testing.T, b store.Backend, slug string) store.Tenant {
	t.Helper()
	tn := store.Tenant{ID: uuid.NewString(), Slug: slug, Name: "Team " + slug}
	must(t, b.CreateTenant(t.Context(), tn))
	return tn
}

func testTeams(t *testing.T, b store.Backend) {
	ctx := t.Context()
	empty, err := b.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("new backend: empty %v, %v", empty, err)
	}
	beta := team(t, b, "beta")
	alpha := team(t, b, "alpha")
	if empty, err := b.Empty(ctx); err != nil || empty {
		t.Fatalf("with teams: empty %v, %v", empty, err)
	}
	err = b.CreateTenant(ctx, store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "again"})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second team alpha: %v, want ErrExists", err)
	}
	ts, err := b.Tenants(ctx)
	must(t, err)
	if !slices.Equal(ts, []store.Tenant{alpha, beta}) {
		t.Fatalf("Tenants = %+v, want alpha then beta", ts)
	}
	if got, err := b.TenantBySlug(ctx, "beta"); err != nil || got != beta {
		t.Fatalf("TenantBySlug = %+v, %v", got, err)
	}
	if got, err := b.TenantByID(ctx, alpha.ID); err != nil || got != alpha {
		t.Fatalf("TenantByID = %+v, %v", got, err)
	}
	if _, err := b.TenantBySlug(ctx, "gamma"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown slug: %v", err)
	}
	if _, err := b.TenantByID(ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func testMembersAndUsers(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	if _, err := b.MemberRole(ctx, alpha, "alice"); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("no such user: %v", err)
	}
	must(t, b.AddMember(ctx, beta, store.RoleUser, "alice"))
	must(t, b.AddMember(ctx, alpha, store.RoleReadOnlyUser, "alice"))
	must(t, b.AddMember(ctx, alpha, store.RoleTenantAdmin, "alice")) // a change, not a second membership
	if role, err := b.MemberRole(ctx, alpha, "alice"); err != nil || role != store.RoleTenantAdmin {
		t.Fatalf("MemberRole = %q, %v", role, err)
	}
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-alice", Tenant: beta, Role: store.RoleUser, Username: "alice"}))
	k, err := b.KeyByHash(ctx, "h-alice")
	must(t, err)
	u, ms, err := b.User(ctx, k.UserID, beta.ID)
	must(t, err)
	if u.Username != "alice" || len(ms) != 2 || ms[0].Tenant != alpha || ms[1].Tenant != beta ||
		ms[0].Role != store.RoleTenantAdmin || ms[1].Role != store.RoleUser || u.DefaultMembershipID != ms[1].ID {
		t.Fatalf("User = %+v %+v", u, ms)
	}
	if role, err := b.MembershipRole(ctx, k.UserID, alpha.ID); err != nil || role != store.RoleTenantAdmin {
		t.Fatalf("MembershipRole = %q, %v", role, err)
	}
	gamma := team(t, b, "gamma")
	if _, err := b.MembershipRole(ctx, k.UserID, gamma.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no membership: %v", err)
	}
}

func testKeys(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-service", Tenant: alpha, Role: store.RoleReadOnlyUser}))
	k, err := b.KeyByHash(ctx, "h-service")
	if err != nil || k.UserID != "" || k.TenantID != alpha.ID || k.Role != store.RoleReadOnlyUser || k.ID == "" {
		t.Fatalf("service key = %+v, %v", k, err)
	}
	if _, err := b.KeyByHash(ctx, "h-unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}

	// A user key needs a membership in its team, at or above its role, and
	// never changes the membership.
	err = b.CreateKey(ctx, store.NewKey{Hash: "h-bob", Tenant: alpha, Role: store.RoleUser, Username: "bob"})
	if !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("user who does not exist: %v", err)
	}
	must(t, b.AddMember(ctx, beta, store.RoleTenantAdmin, "bob"))
	err = b.CreateKey(ctx, store.NewKey{Hash: "h-bob", Tenant: alpha, Role: store.RoleUser, Username: "bob"})
	if !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("member of another team: %v", err)
	}
	if _, err := b.MemberRole(ctx, alpha, "bob"); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("a refused key made bob a member: %v", err)
	}
	must(t, b.AddMember(ctx, alpha, store.RoleReadOnlyUser, "bob"))
	err = b.CreateKey(ctx, store.NewKey{Hash: "h-bob", Tenant: alpha, Role: store.RoleUser, Username: "bob"})
	if !errors.Is(err, store.ErrAboveMembership) {
		t.Fatalf("above the membership: %v", err)
	}
	if _, err := b.KeyByHash(ctx, "h-bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused key was stored: %v", err)
	}
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-bob", Tenant: alpha, Role: store.RoleReadOnlyUser, Username: "bob"}))
	if k, err := b.KeyByHash(ctx, "h-bob"); err != nil || k.UserID == "" || k.TenantID != alpha.ID {
		t.Fatalf("user key = %+v, %v", k, err)
	}
	if role, err := b.MemberRole(ctx, alpha, "bob"); err != nil || role != store.RoleReadOnlyUser {
		t.Fatalf("key create changed the membership: %q, %v", role, err)
	}
}

func testSealedValues(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	v1 := []byte{0, 1, 2, 0xff, 'x', 0}
	must(t, b.PutSealed(ctx, nil, alpha.ID, "A", "", v1))
	got, err := b.SealedSecret(ctx, alpha.ID, "A")
	if err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("SealedSecret = %x, %v", got, err)
	}
	v2 := bytes.Repeat([]byte{7}, 70_000)
	must(t, b.PutSealed(ctx, nil, alpha.ID, "A", "", v2))
	if got, _ := b.SealedSecret(ctx, alpha.ID, "A"); !bytes.Equal(got, v2) {
		t.Fatal("a put does not replace the value")
	}
	if ok, err := b.SecretExists(ctx, alpha.ID, "A"); err != nil || !ok {
		t.Fatalf("SecretExists = %v, %v", ok, err)
	}
	if ok, err := b.SecretExists(ctx, alpha.ID, "a"); err != nil || ok {
		t.Fatalf("names are case-sensitive: SecretExists(a) = %v, %v", ok, err)
	}
	if _, err := b.SealedSecret(ctx, alpha.ID, "B"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing value: %v", err)
	}
	if n, err := b.SecretCount(ctx, alpha.ID); err != nil || n != 1 {
		t.Fatalf("SecretCount = %d, %v", n, err)
	}
	if found, err := b.DeleteSecret(ctx, alpha.ID, "A"); err != nil || !found {
		t.Fatalf("delete: %v, %v", found, err)
	}
	if found, err := b.DeleteSecret(ctx, alpha.ID, "A"); err != nil || found {
		t.Fatalf("second delete: %v, %v", found, err)
	}
	if ok, _ := b.SecretExists(ctx, alpha.ID, "A"); ok {
		t.Fatal("deleted value exists")
	}
}

func testNames(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	for _, n := range []string{"b", "B", "a_2", "A", "Z", "ünï", "a"} {
		must(t, b.PutSealed(ctx, nil, alpha.ID, n, "", []byte("x")))
	}
	must(t, b.PutSealed(ctx, nil, beta.ID, "ONLY_BETA", "", []byte("x")))
	names, err := b.SecretNames(ctx, alpha.ID)
	must(t, err)
	// ASCII case-insensitive, ties by bytes: what the UI shows unsorted.
	want := []string{"A", "a", "a_2", "B", "b", "Z", "ünï"}
	if !slices.Equal(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	if names, _ := b.SecretNames(ctx, beta.ID); !slices.Equal(names, []string{"ONLY_BETA"}) {
		t.Fatalf("beta's names = %q", names)
	}
	if _, err := b.SealedSecret(ctx, beta.ID, "A"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a value of alpha is visible in beta: %v", err)
	}
	if names, err := b.SecretNames(ctx, uuid.NewString()); err != nil || len(names) != 0 {
		t.Fatalf("team without secrets: %q, %v", names, err)
	}
}

func testPutManyAndEach(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	many := map[string][]byte{}
	for i := range 500 {
		many[fmt.Sprintf("S%03d", i)] = []byte(fmt.Sprintf("sealed-%d", i))
	}
	must(t, b.PutSealedMany(ctx, nil, alpha.ID, "", many))
	must(t, b.PutSealed(ctx, nil, beta.ID, "S000", "", []byte("beta")))
	if n, _ := b.SecretCount(ctx, alpha.ID); n != 500 {
		t.Fatalf("SecretCount = %d", n)
	}
	seen := map[string][]byte{}
	must(t, b.EachSealed(ctx, func(s store.Sealed) error {
		seen[s.TenantID+"/"+s.Name] = s.Value
		return nil
	}))
	if len(seen) != 501 || !bytes.Equal(seen[alpha.ID+"/S123"], []byte("sealed-123")) || !bytes.Equal(seen[beta.ID+"/S000"], []byte("beta")) {
		t.Fatalf("EachSealed saw %d values", len(seen))
	}
	stop := errors.New("stop")
	calls := 0
	err := b.EachSealed(ctx, func(store.Sealed) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("EachSealed does not stop at fn's error: %v after %d calls", err, calls)
	}
}

// After a write returns, every later list shows it, however many lists run
// at the same time.
func testNamesUnderConcurrency(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := b.SecretNames(ctx, alpha.ID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer stop.Store(true)
	for i := range 200 {
		name := fmt.Sprintf("N%04d", i)
		must(t, b.PutSealed(ctx, nil, alpha.ID, name, "", []byte("x")))
		if names, _ := b.SecretNames(ctx, alpha.ID); !slices.Contains(names, name) {
			t.Fatalf("%s missing right after it was written", name)
		}
		if i%2 == 0 {
			if _, err := b.DeleteSecret(ctx, alpha.ID, name); err != nil {
				t.Fatal(err)
			}
			if names, _ := b.SecretNames(ctx, alpha.ID); slices.Contains(names, name) {
				t.Fatalf("%s listed right after it was deleted", name)
			}
		}
		if i%50 == 0 {
			must(t, b.PutSealedMany(ctx, nil, alpha.ID, "", map[string][]byte{name + "_M": []byte("x")}))
			if names, _ := b.SecretNames(ctx, alpha.ID); !slices.Contains(names, name+"_M") {
				t.Fatalf("%s_M missing right after it was written", name)
			}
		}
	}
}

func testKeyCheck(t *testing.T, b store.Backend) {
	ctx := t.Context()
	if _, err := b.KeyCheck(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("new backend has a key check: %v", err)
	}
	must(t, b.InitKeyCheck(ctx, []byte("first")))
	must(t, b.InitKeyCheck(ctx, []byte("second")))
	if got, err := b.KeyCheck(ctx); err != nil || string(got) != "first" {
		t.Fatalf("KeyCheck = %q, %v; the first must win", got, err)
	}
}

func testCheck(t *testing.T, b store.Backend) {
	team(t, b, "alpha")
	if err := b.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Ready answers nil on an open store, and an error (not a hang, not a
// remembered success) once the store is closed. (The suite's cleanup
// closes it again: Close must bear that.)
func testReady(t *testing.T, b store.Backend) {
	team(t, b, "alpha")
	for range 2 {
		if err := b.Ready(t.Context()); err != nil {
			t.Fatalf("open store: %v", err)
		}
	}
	must(t, b.Close())
	if err := b.Ready(t.Context()); err == nil {
		t.Fatal("closed store: Ready said nil")
	}
}
