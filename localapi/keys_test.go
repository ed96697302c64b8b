package localapi_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// The API key documents the Prefect 1.x CLI and the Cloud UI send, exactly
// as issue 12 lists them.
const (
	docAuthInfoUser = `query { auth_info { user_id tenant_id } }`
	docCreateAPIKey = `mutation($input: create_api_key_input!) { create_api_key(input: $input) { id key } }`
	docListAPIKeys  = `query { auth_api_key(order_by: {created: desc}) { id name created expires_at default_tenant_id user_id updated created_by { id username } } }`
	docDeleteAPIKey = `mutation($input: delete_api_key_input!) { delete_api_key(input: $input) { success } }`
	docKeyLastUsed  = `query { auth_api_key { id last_used role } }`
)

type listedKey struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	Created         string  `json:"created"`
	Updated         string  `json:"updated"`
	ExpiresAt       *string `json:"expires_at"`
	DefaultTenantID *string `json:"default_tenant_id"`
	UserID          *string `json:"user_id"`
	CreatedBy       *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"created_by"`
	LastUsed *string `json:"last_used"`
	Role     string  `json:"role"`
}

type created struct{ ID, Key string }

func authInfo(t *testing.T, env *apitest.Env, key string) (userID, tenantID string) {
	t.Helper()
	r := env.Do(t, key, "", docAuthInfoUser, nil)
	mustOK(t, r)
	a := decode[struct {
		UserID   *string `json:"user_id"`
		TenantID string  `json:"tenant_id"`
	}](t, r.Data["auth_info"])
	if a.UserID != nil {
		userID = *a.UserID
	}
	return userID, a.TenantID
}

func createKey(t *testing.T, env *apitest.Env, key string, input map[string]any) created {
	t.Helper()
	r := env.Do(t, key, "", docCreateAPIKey, map[string]any{"input": input})
	mustOK(t, r)
	c := decode[created](t, r.Data["create_api_key"])
	if c.ID == "" || !strings.HasPrefix(c.Key, "tsk_") {
		t.Fatalf("create_api_key = %+v", c)
	}
	return c
}

func listKeys(t *testing.T, env *apitest.Env, key, doc string) []listedKey {
	t.Helper()
	r := env.Do(t, key, "", doc, nil)
	mustOK(t, r)
	return decode[[]listedKey](t, r.Data["auth_api_key"])
}

func revoke(t *testing.T, env *apitest.Env, key, id string) bool {
	t.Helper()
	r := env.Do(t, key, "", docDeleteAPIKey, map[string]any{"input": map[string]any{"key_id": id}})
	mustOK(t, r)
	return decode[struct{ Success bool }](t, r.Data["delete_api_key"]).Success
}

func TestAPIKeyDocumentsWorkAsWritten(t *testing.T) {
	apitest.EachBackend(t, testAPIKeyDocumentsWorkAsWritten)
}

func testAPIKeyDocumentsWorkAsWritten(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	userID, tenantID := authInfo(t, env, env.AdminKey)
	if userID == "" || tenantID == "" {
		t.Fatalf("auth_info user_id %q tenant_id %q", userID, tenantID)
	}
	// As `prefect auth create-key -n laptop` sends it.
	c := createKey(t, env, env.AdminKey, map[string]any{
		"name": "laptop", "user_id": userID, "expires_at": nil, "default_tenant_id": tenantID})
	if u, tn := authInfo(t, env, c.Key); u != userID || tn != tenantID {
		t.Fatalf("the new key acts as %q in %q", u, tn)
	}

	keys := listKeys(t, env, env.AdminKey, docListAPIKeys)
	if len(keys) != 2 || keys[0].ID != c.ID || keys[0].Name != "laptop" || keys[0].ExpiresAt != nil ||
		keys[0].UserID == nil || *keys[0].UserID != userID || keys[0].DefaultTenantID == nil || *keys[0].DefaultTenantID != tenantID ||
		keys[0].CreatedBy == nil || keys[0].CreatedBy.ID != userID || keys[0].CreatedBy.Username != "admin" ||
		keys[0].Created == "" || keys[0].Updated == "" {
		t.Fatalf("auth_api_key = %+v", keys)
	}
	if keys[1].CreatedBy != nil {
		t.Fatalf("the bootstrap key has a maker: %+v", keys[1])
	}
	if _, err := time.Parse(time.RFC3339Nano, keys[0].Created); err != nil {
		t.Fatalf("created %q is not ISO 8601: %v", keys[0].Created, err)
	}

	if !revoke(t, env, env.AdminKey, c.ID) {
		t.Fatal("delete_api_key: success false")
	}
	r := env.Do(t, c.Key, "", docAuthInfoUser, nil)
	if r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("a revoked key on its next call: %+v", r)
	}
	if revoke(t, env, env.AdminKey, c.ID) {
		t.Fatal("a second revoke succeeded")
	}
	if keys := listKeys(t, env, env.AdminKey, docListAPIKeys); len(keys) != 1 {
		t.Fatalf("%d keys listed after the revoke", len(keys))
	}
}

// clock is a settable time for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestExpiredKeyIsRefusedOnItsNextCall(t *testing.T) {
	apitest.EachBackend(t, testExpiredKeyIsRefusedOnItsNextCall)
}

func testExpiredKeyIsRefusedOnItsNextCall(t *testing.T, b apitest.Backend) {
	clk := &clock{t: time.Now()}
	env := b.Start(t, localapi.WithClock(clk.now))
	userID, _ := authInfo(t, env, env.AdminKey)

	past := clk.now().Add(-time.Minute).Format(time.RFC3339)
	r := env.Do(t, env.AdminKey, "", docCreateAPIKey, map[string]any{"input": map[string]any{
		"name": "old", "user_id": userID, "expires_at": past}})
	if r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "not in the future") {
		t.Fatalf("a past expiry: %+v", r)
	}

	expires := clk.now().Add(time.Hour).UTC().Truncate(time.Second)
	c := createKey(t, env, env.AdminKey, map[string]any{
		"name": "1h", "user_id": userID, "expires_at": expires.Format("2006-01-02T15:04:05+00:00")})
	authInfo(t, env, c.Key)
	keys := listKeys(t, env, env.AdminKey, docListAPIKeys)
	if keys[0].ExpiresAt == nil || *keys[0].ExpiresAt != expires.Format(time.RFC3339Nano) {
		t.Fatalf("expires_at = %v, want %v", keys[0].ExpiresAt, expires)
	}

	clk.add(time.Hour + time.Second)
	r = env.Do(t, c.Key, "", docAuthInfoUser, nil)
	if r.Code() != localapi.CodeUnauthenticated || !strings.Contains(r.Errors[0].Message, "expired") ||
		strings.Contains(r.Errors[0].Message, c.Key) {
		t.Fatalf("an expired key: %+v", r)
	}
	if r := env.Do(t, c.Key, "", `query { secret_names }`, nil); r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("an expired key on the names fast path: %+v", r)
	}
	authInfo(t, env, env.AdminKey) // the admin's key has no expiry
}

func TestKeysVisibleAndRevocableByOwnerAndTeamAdmin(t *testing.T) {
	apitest.EachBackend(t, testKeysVisibleAndRevocableByOwnerAndTeamAdmin)
}

func testKeysVisibleAndRevocableByOwnerAndTeamAdmin(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Member(t, "default", localapi.RoleUser, "bob")
	bob := env.Key(t, "default", localapi.RoleUser, "bob")
	adminID, tenantID := authInfo(t, env, env.AdminKey)
	bobID, _ := authInfo(t, env, bob)
	bob2 := createKey(t, env, bob, map[string]any{"name": "bob's second", "user_id": bobID})

	// Bob sees his own keys only; the admin sees the team's.
	if keys := listKeys(t, env, bob, docListAPIKeys); len(keys) != 2 || keys[0].ID != bob2.ID {
		t.Fatalf("bob lists %+v", keys)
	}
	all := listKeys(t, env, env.AdminKey, docListAPIKeys)
	if len(all) != 3 {
		t.Fatalf("the admin lists %d keys, want 3", len(all))
	}
	adminKeyID := all[2].ID

	// Bob may neither revoke the admin's key nor make keys for others.
	if revoke(t, env, bob, adminKeyID) {
		t.Fatal("bob revoked the admin's key")
	}
	authInfo(t, env, env.AdminKey)
	for _, input := range []map[string]any{
		{"name": "for admin", "user_id": adminID},
		{"name": "team key", "user_id": nil},
	} {
		if r := env.Do(t, bob, "", docCreateAPIKey, map[string]any{"input": input}); r.Code() != localapi.CodeForbidden {
			t.Fatalf("bob creates %v: %+v", input, r)
		}
	}

	// The admin makes bob a key: it gets bob's role, not the admin's.
	forBob := createKey(t, env, env.AdminKey, map[string]any{"name": "for bob", "user_id": bobID, "default_tenant_id": tenantID})
	roles := listKeys(t, env, env.AdminKey, docKeyLastUsed)
	for _, k := range roles {
		if k.ID == forBob.ID && k.Role != localapi.RoleUser {
			t.Fatalf("a key made for bob has role %s", k.Role)
		}
	}
	// A team key: no user.
	team := createKey(t, env, env.AdminKey, map[string]any{"name": "agent", "user_id": nil})
	if u, _ := authInfo(t, env, team.Key); u != "" {
		t.Fatalf("a team key has user %q", u)
	}

	// The admin revokes bob's second key: refused on its next call.
	if !revoke(t, env, env.AdminKey, bob2.ID) {
		t.Fatal("the admin could not revoke bob's key")
	}
	if r := env.Do(t, bob2.Key, "", docAuthInfoUser, nil); r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("bob's revoked key: %+v", r)
	}
	// Bob revokes his own key made by the admin.
	if !revoke(t, env, bob, forBob.ID) {
		t.Fatal("bob could not revoke his own key")
	}
}

func TestNewKeyIsNeverStrongerThanTheKeyThatMadeIt(t *testing.T) {
	apitest.EachBackend(t, testNewKeyIsNeverStrongerThanTheKeyThatMadeIt)
}

func testNewKeyIsNeverStrongerThanTheKeyThatMadeIt(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	readOnly := env.Key(t, "default", localapi.RoleReadOnlyUser, "admin") // the admin user's read-only key
	userID, _ := authInfo(t, env, readOnly)
	c := createKey(t, env, readOnly, map[string]any{"name": "from a read-only key", "user_id": userID})
	for _, k := range listKeys(t, env, c.Key, docKeyLastUsed) {
		if k.ID == c.ID && k.Role != localapi.RoleReadOnlyUser {
			t.Fatalf("a key made by a read-only key has role %s", k.Role)
		}
	}
	if r := env.Do(t, c.Key, "", docSetSecret, map[string]any{"name": "X", "value": "v"}); r.Code() != localapi.CodeForbidden {
		t.Fatalf("the new key writes: %+v", r)
	}
	// A read-only team key sees itself only, and cannot make keys.
	svc := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	if keys := listKeys(t, env, svc, docListAPIKeys); len(keys) != 1 || keys[0].UserID != nil {
		t.Fatalf("a read-only team key lists %+v", keys)
	}
	if r := env.Do(t, svc, "", docCreateAPIKey, map[string]any{"input": map[string]any{"name": "x", "user_id": nil}}); r.Code() != localapi.CodeForbidden {
		t.Fatalf("a read-only team key made a key: %+v", r)
	}
	// Names are checked.
	for _, name := range []string{"", "   ", strings.Repeat("n", 101), "a\u202eb"} {
		r := env.Do(t, env.AdminKey, "", docCreateAPIKey, map[string]any{"input": map[string]any{"name": name, "user_id": userID}})
		if r.Code() != localapi.CodeBadUserInput {
			t.Fatalf("name %q: %+v", name, r)
		}
	}
}

func TestLastUsedIsRecordedAtMostHourly(t *testing.T) {
	apitest.EachBackend(t, testLastUsedIsRecordedAtMostHourly)
}

func testLastUsedIsRecordedAtMostHourly(t *testing.T, b apitest.Backend) {
	clk := &clock{t: time.Now()}
	env := b.Start(t, localapi.WithClock(clk.now))
	userID, _ := authInfo(t, env, env.AdminKey)
	c := createKey(t, env, env.AdminKey, map[string]any{"name": "ci", "user_id": userID})
	lastUsed := func() string {
		for _, k := range listKeys(t, env, env.AdminKey, docKeyLastUsed) {
			if k.ID == c.ID {
				if k.LastUsed == nil {
					return ""
				}
				return *k.LastUsed
			}
		}
		t.Fatal("key not listed")
		return ""
	}
	if got := lastUsed(); got != "" {
		t.Fatalf("an unused key has last_used %q", got)
	}
	authInfo(t, env, c.Key)
	first := lastUsed()
	if first == "" {
		t.Fatal("a use was not recorded")
	}
	clk.add(30 * time.Minute)
	authInfo(t, env, c.Key)
	if got := lastUsed(); got != first {
		t.Fatalf("a use within the hour was recorded: %q, was %q", got, first)
	}
	clk.add(31 * time.Minute)
	authInfo(t, env, c.Key)
	if got := lastUsed(); got == first {
		t.Fatal("a use after the hour was not recorded")
	}
}
