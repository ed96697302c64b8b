package localapi_test

import (
	"errors"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

const (
	docAuthRole = `query { auth_info { role tenant_id } }`
	docRoles    = `query { user { memberships { tenant { slug } role_detail { name } } } }`
)

// authRole is auth_info.role for a key acting in tenant ("" = its own team).
func authRole(t *testing.T, env *apitest.Env, key, tenant string) string {
	t.Helper()
	r := env.Do(t, key, tenant, docAuthRole, nil)
	mustOK(t, r)
	return decode[struct{ Role string }](t, r.Data["auth_info"]).Role
}

// memberRoles maps team slug to the role user.memberships reports.
func memberRoles(t *testing.T, env *apitest.Env, key string) map[string]string {
	t.Helper()
	r := env.Do(t, key, "", docRoles, nil)
	mustOK(t, r)
	users := decode[[]struct {
		Memberships []struct {
			Tenant     struct{ Slug string }
			RoleDetail struct{ Name string } `json:"role_detail"`
		}
	}](t, r.Data["user"])
	out := map[string]string{}
	for _, u := range users {
		for _, m := range u.Memberships {
			out[m.Tenant.Slug] = m.RoleDetail.Name
		}
	}
	return out
}

// can reports what a key may do in tenant: write a secret, read its value.
// A refusal must be FORBIDDEN, and must not quote the value.
func can(t *testing.T, env *apitest.Env, key, tenant, name string) (write, read bool) {
	t.Helper()
	const value = "role-canary-5c1e"
	w := env.Do(t, key, tenant, docSetSecret, map[string]any{"name": name, "value": value})
	r := env.Do(t, key, tenant, docSecretValue, map[string]any{"name": name})
	for _, res := range []apitest.Response{w, r} {
		if len(res.Errors) > 0 {
			if res.Code() != localapi.CodeForbidden && !strings.Contains(res.Errors[0].Message, localapi.NoValueMessage) {
				t.Fatalf("unexpected error %+v", res.Errors)
			}
			if strings.Contains(res.Errors[0].Message, value) {
				t.Fatal("an error quotes the value")
			}
		}
	}
	return len(w.Errors) == 0, len(r.Errors) == 0
}

// Finding 5 of issue 9: creating a READ_ONLY_USER key for alice demoted her
// USER key, and a later TENANT_ADMIN key promoted the read-only one, which
// then read values. Each key acts with its own role, and creating a key
// never changes a membership.
func TestKeyCreateNeitherDemotesNorPromotesOtherKeys(t *testing.T) {
	apitest.EachBackend(t, testKeyCreateNeitherDemotesNorPromotesOtherKeys)
}

func testKeyCreateNeitherDemotesNorPromotesOtherKeys(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	alphaID := env.Team(t, "alpha")
	env.Member(t, "alpha", localapi.RoleUser, "alice")
	userKey := env.Key(t, "alpha", localapi.RoleUser, "alice")
	readOnly := env.Key(t, "alpha", localapi.RoleReadOnlyUser, "alice")

	if w, r := can(t, env, userKey, alphaID, "FIRST"); !w || !r {
		t.Fatalf("alice's USER key after a READ_ONLY_USER key was made: write %v, read value %v", w, r)
	}
	if w, r := can(t, env, readOnly, alphaID, "SECOND"); w || r {
		t.Fatalf("the READ_ONLY_USER key: write %v, read value %v", w, r)
	}
	if got := memberRoles(t, env, userKey)["alpha"]; got != localapi.RoleUser {
		t.Fatalf("alice's membership after key create = %q, want USER", got)
	}

	// Alice becomes TENANT_ADMIN (explicitly) and gets a TENANT_ADMIN key:
	// the read-only key stays read-only, the USER key stays USER.
	env.Member(t, "alpha", localapi.RoleTenantAdmin, "alice")
	adminKey := env.Key(t, "alpha", localapi.RoleTenantAdmin, "alice")
	if w, r := can(t, env, readOnly, "", "FIRST"); w || r {
		t.Fatalf("the READ_ONLY_USER key once alice is TENANT_ADMIN: write %v, read value %v", w, r)
	}
	for key, want := range map[string]string{
		readOnly: localapi.RoleReadOnlyUser,
		userKey:  localapi.RoleUser,
		adminKey: localapi.RoleTenantAdmin,
	} {
		if got := authRole(t, env, key, ""); got != want {
			t.Errorf("auth_info.role = %q, want %q", got, want)
		}
		if got := memberRoles(t, env, key)["alpha"]; got != localapi.RoleTenantAdmin {
			t.Errorf("memberships role_detail = %q, want the membership's TENANT_ADMIN", got)
		}
	}
	if _, r := can(t, env, adminKey, "", "FIRST"); !r {
		t.Fatal("alice's TENANT_ADMIN key cannot read values")
	}
}

func TestKeyCreateRefusesWithoutMembershipOrAboveIt(t *testing.T) {
	apitest.EachBackend(t, testKeyCreateRefusesWithoutMembershipOrAboveIt)
}

func testKeyCreateRefusesWithoutMembershipOrAboveIt(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Team(t, "alpha")
	env.Team(t, "beta")
	ctx := t.Context()

	// Nobody called bob, and bob in another team only: refused, and no
	// membership appears (a second try is refused too).
	for range 2 {
		if _, err := env.Store.CreateKey(ctx, "alpha", localapi.RoleReadOnlyUser, "bob"); !errors.Is(err, localapi.ErrNotMember) {
			t.Fatalf("key for a user who does not exist: %v", err)
		}
	}
	env.Member(t, "beta", localapi.RoleTenantAdmin, "bob")
	if _, err := env.Store.CreateKey(ctx, "alpha", localapi.RoleReadOnlyUser, "bob"); !errors.Is(err, localapi.ErrNotMember) {
		t.Fatalf("key for a member of another team: %v", err)
	}
	if _, err := env.Store.MemberRole(ctx, "alpha", "bob"); !errors.Is(err, localapi.ErrNotMember) {
		t.Fatalf("bob became a member of alpha: %v", err)
	}

	// Above the membership: refused, and the membership is unchanged.
	env.Member(t, "alpha", localapi.RoleReadOnlyUser, "carol")
	for _, role := range []string{localapi.RoleUser, localapi.RoleTenantAdmin} {
		_, err := env.Store.CreateKey(ctx, "alpha", role, "carol")
		if !errors.Is(err, localapi.ErrAboveMembership) || !strings.Contains(err.Error(), "READ_ONLY_USER") {
			t.Fatalf("%s key for a READ_ONLY_USER member: %v", role, err)
		}
	}
	if role, err := env.Store.MemberRole(ctx, "alpha", "carol"); err != nil || role != localapi.RoleReadOnlyUser {
		t.Fatalf("carol's membership = %q, %v", role, err)
	}
	// At or below it: fine.
	env.Member(t, "alpha", localapi.RoleUser, "dave")
	for _, role := range []string{localapi.RoleUser, localapi.RoleReadOnlyUser} {
		if _, err := env.Store.CreateKey(ctx, "alpha", role, "dave"); err != nil {
			t.Fatalf("%s key for a USER member: %v", role, err)
		}
	}
}

// member add is the explicit way to change a membership: a demotion lowers
// what the user's keys may do at once, and a promotion never lifts a key
// above its own role.
func TestMemberAddDemotionCapsExistingKeys(t *testing.T) {
	apitest.EachBackend(t, testMemberAddDemotionCapsExistingKeys)
}

func testMemberAddDemotionCapsExistingKeys(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Team(t, "alpha")
	env.Member(t, "alpha", localapi.RoleUser, "alice")
	key := env.Key(t, "alpha", localapi.RoleUser, "alice")
	if w, r := can(t, env, key, "", "A"); !w || !r {
		t.Fatalf("USER key of a USER member: write %v, read value %v", w, r)
	}

	env.Member(t, "alpha", localapi.RoleReadOnlyUser, "alice")
	if w, r := can(t, env, key, "", "A"); w || r {
		t.Fatalf("USER key of a member demoted to READ_ONLY_USER: write %v, read value %v", w, r)
	}
	if got := authRole(t, env, key, ""); got != localapi.RoleReadOnlyUser {
		t.Fatalf("auth_info.role after the demotion = %q", got)
	}
	if got := memberRoles(t, env, key)["alpha"]; got != localapi.RoleReadOnlyUser {
		t.Fatalf("membership after the demotion = %q", got)
	}

	env.Member(t, "alpha", localapi.RoleTenantAdmin, "alice")
	if got := authRole(t, env, key, ""); got != localapi.RoleUser {
		t.Fatalf("auth_info.role of a USER key once alice is TENANT_ADMIN = %q, want USER", got)
	}
	if w, r := can(t, env, key, "", "A"); !w || !r {
		t.Fatalf("USER key after the promotion: write %v, read value %v", w, r)
	}
}

// A user key acting in another team (X-PREFECT-TENANT-ID) gets the lesser of
// its own role and the user's membership there.
func TestUserKeyInEachTeamActsWithTheLesserRole(t *testing.T) {
	apitest.EachBackend(t, testUserKeyInEachTeamActsWithTheLesserRole)
}

func testUserKeyInEachTeamActsWithTheLesserRole(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	teams := map[string]string{}
	for _, slug := range []string{"alpha", "beta", "gamma", "delta"} {
		teams[slug] = env.Team(t, slug)
	}
	env.Member(t, "alpha", localapi.RoleUser, "alice")
	env.Member(t, "beta", localapi.RoleTenantAdmin, "alice")
	env.Member(t, "gamma", localapi.RoleReadOnlyUser, "alice")
	userKey := env.Key(t, "beta", localapi.RoleUser, "alice") // default team beta
	readOnly := env.Key(t, "beta", localapi.RoleReadOnlyUser, "alice")

	for _, tc := range []struct {
		key, team, role string
	}{
		{userKey, "alpha", localapi.RoleUser},
		{userKey, "beta", localapi.RoleUser},
		{userKey, "gamma", localapi.RoleReadOnlyUser},
		{readOnly, "alpha", localapi.RoleReadOnlyUser},
		{readOnly, "beta", localapi.RoleReadOnlyUser},
		{readOnly, "gamma", localapi.RoleReadOnlyUser},
	} {
		if got := authRole(t, env, tc.key, teams[tc.team]); got != tc.role {
			t.Errorf("key in %s: auth_info.role = %q, want %q", tc.team, got, tc.role)
		}
		writable := tc.role != localapi.RoleReadOnlyUser
		if w, r := can(t, env, tc.key, teams[tc.team], "S_"+tc.team); w != writable || r != writable {
			t.Errorf("%s key in %s: write %v, read value %v", tc.role, tc.team, w, r)
		}
		mustOK(t, env.Do(t, tc.key, teams[tc.team], docSecretNames, nil))
	}
	for _, key := range []string{userKey, readOnly} {
		if r := env.Do(t, key, teams["delta"], docSecretNames, nil); r.Code() != localapi.CodeForbidden {
			t.Errorf("key in a team without membership: %+v", r.Errors)
		}
	}
	// Without the header the key acts in its own team, beta.
	if got := authRole(t, env, userKey, ""); got != localapi.RoleUser {
		t.Errorf("auth_info.role in the key's own team = %q", got)
	}
	// A team key acts with its own role, in its own team only.
	service := env.Key(t, "gamma", localapi.RoleUser, "")
	if got := authRole(t, env, service, ""); got != localapi.RoleUser {
		t.Errorf("team key auth_info.role = %q", got)
	}
	if r := env.Do(t, service, teams["alpha"], docSecretNames, nil); r.Code() != localapi.CodeForbidden {
		t.Errorf("team key in another team: %+v", r.Errors)
	}
}
