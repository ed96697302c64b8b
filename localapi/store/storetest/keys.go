package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// testKeyAdmin: names, expiry, lists by team and by user, revocation, and
// the coarse record of use.
func testKeyAdmin(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	must(t, b.AddMember(ctx, alpha, store.RoleTenantAdmin, "alice"))
	must(t, b.AddMember(ctx, beta, store.RoleUser, "alice"))
	must(t, b.AddMember(ctx, alpha, store.RoleUser, "bob"))
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-alice", Tenant: alpha, Role: store.RoleTenantAdmin, Username: "alice"}))
	alice, err := b.KeyByHash(ctx, "h-alice")
	must(t, err)

	expires := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	bobKeyID := uuid.NewString()
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-bob", ID: bobKeyID, Tenant: alpha, Role: store.RoleUser,
		UserID: "", Username: "bob", Name: "ci runner", ExpiresAt: expires, CreatedBy: alice.UserID}))
	time.Sleep(2 * time.Millisecond) // newest first needs distinct times
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-alice-beta", Tenant: beta, Role: store.RoleUser, UserID: alice.UserID, Name: "laptop"}))
	time.Sleep(2 * time.Millisecond)
	must(t, b.CreateKey(ctx, store.NewKey{Hash: "h-service", Tenant: beta, Role: store.RoleReadOnlyUser, Name: "agent"}))

	// By user id: the membership is checked as by name.
	err = b.CreateKey(ctx, store.NewKey{Hash: "h-x", Tenant: beta, Role: store.RoleTenantAdmin, UserID: alice.UserID})
	if !errors.Is(err, store.ErrAboveMembership) {
		t.Fatalf("user key by id above the membership: %v", err)
	}
	err = b.CreateKey(ctx, store.NewKey{Hash: "h-x", Tenant: beta, Role: store.RoleUser, UserID: uuid.NewString()})
	if !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("user key for an unknown user id: %v", err)
	}

	k, err := b.KeyByHash(ctx, "h-bob")
	if err != nil || k.ID != bobKeyID || !k.ExpiresAt.Equal(expires) || !k.LastUsed.IsZero() {
		t.Fatalf("bob's key = %+v, %v", k, err)
	}
	info, err := b.KeyByID(ctx, bobKeyID)
	if err != nil || info.Name != "ci runner" || info.Username != "bob" || info.CreatedByID != alice.UserID ||
		info.CreatedByName != "alice" || info.Role != store.RoleUser || info.TenantID != alpha.ID ||
		info.Created.IsZero() || time.Since(info.Created) > time.Minute || !info.ExpiresAt.Equal(expires) {
		t.Fatalf("KeyByID = %+v, %v", info, err)
	}
	if _, err := b.KeyByID(ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}

	names := func(ks []store.KeyInfo) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.Name)
		}
		return out
	}
	alphaKeys, err := b.Keys(ctx, alpha.ID, "")
	must(t, err)
	if got := names(alphaKeys); len(got) != 2 || got[0] != "ci runner" || got[1] != "" {
		t.Fatalf("alpha's keys, newest first = %q", got)
	}
	aliceKeys, err := b.Keys(ctx, "", alice.UserID)
	must(t, err)
	if got := names(aliceKeys); len(got) != 2 || got[0] != "laptop" || got[1] != "" {
		t.Fatalf("alice's keys = %q", got)
	}
	both, err := b.Keys(ctx, beta.ID, alice.UserID)
	must(t, err)
	if got := names(both); len(got) != 3 || got[0] != "agent" || both[0].UserID != "" || both[0].Username != "" {
		t.Fatalf("beta's and alice's keys = %q %+v", got, both)
	}
	if none, err := b.Keys(ctx, "", ""); err != nil || len(none) != 0 {
		t.Fatalf("no team and no user: %d keys, %v", len(none), err)
	}

	// Use is recorded once per window.
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	if wrote, err := b.TouchKey(ctx, bobKeyID, t0, t0.Add(-time.Hour)); err != nil || !wrote {
		t.Fatalf("first use: %v, %v", wrote, err)
	}
	if wrote, err := b.TouchKey(ctx, bobKeyID, t0.Add(time.Minute), t0.Add(time.Minute-time.Hour)); err != nil || wrote {
		t.Fatalf("a use within the hour wrote again: %v, %v", wrote, err)
	}
	if k, _ := b.KeyByHash(ctx, "h-bob"); !k.LastUsed.Equal(t0) {
		t.Fatalf("LastUsed = %v, want %v", k.LastUsed, t0)
	}
	t1 := t0.Add(61 * time.Minute)
	if wrote, err := b.TouchKey(ctx, bobKeyID, t1, t1.Add(-time.Hour)); err != nil || !wrote {
		t.Fatalf("a use after the hour: %v, %v", wrote, err)
	}

	// Revocation is for good.
	if found, err := b.DeleteKey(ctx, bobKeyID); err != nil || !found {
		t.Fatalf("DeleteKey = %v, %v", found, err)
	}
	if found, err := b.DeleteKey(ctx, bobKeyID); err != nil || found {
		t.Fatalf("second DeleteKey = %v, %v", found, err)
	}
	if _, err := b.KeyByHash(ctx, "h-bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a revoked key is still found: %v", err)
	}
	if ks, _ := b.Keys(ctx, alpha.ID, ""); len(ks) != 1 {
		t.Fatalf("alpha lists %d keys after revoking one of 2", len(ks))
	}
}
