package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/bridge"
	"teamsecrets/cloud"
	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// counter counts documents by operation name.
type counter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	var doc struct {
		OperationName string `json:"operationName"`
	}
	json.Unmarshal(body, &doc)
	c.mu.Lock()
	c.ops[doc.OperationName]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func newClient(env *apitest.Env, key, teamID string) (context.Context, *bridge.Client, *counter) {
	c := &counter{ops: map[string]int{}}
	policy := cloud.RetryPolicy{MaxAttempts: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: time.Second, AttemptTimeout: 10 * time.Second}
	return cloud.WithCredentials(context.Background(), key, teamID), bridge.New(cloud.New(env.URL, c, policy)), c
}

func TestValuesReadInBatchesOfFifty(t *testing.T) {
	env := apitest.Start(t)
	team, _ := env.Store.TenantBySlug(context.Background(), "default")
	want := map[string]json.RawMessage{}
	for i := range 120 {
		want[fmt.Sprintf("S%03d", i)] = json.RawMessage(fmt.Sprintf(`{"n":%d,"s":"v%d"}`, i, i))
	}
	want["TEXT"] = json.RawMessage(`"plain"`)
	if err := env.Store.PutSecrets(context.Background(), team.ID, want); err != nil {
		t.Fatal(err)
	}
	ctx, c, count := newClient(env, env.AdminKey, "")
	names := append(slices.Sorted(func(yield func(string) bool) {
		for n := range want {
			if !yield(n) {
				return
			}
		}
	}), "GONE_1", "GONE_2")
	values, missing, err := c.Values(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"GONE_1", "GONE_2"}) {
		t.Fatalf("missing %v", missing)
	}
	for n, v := range want {
		if string(values[n]) != string(v) {
			t.Fatalf("%s = %s, want %s", n, values[n], v)
		}
	}
	if got := count.ops["SecretValues"]; got != 3 { // 123 names: 50 + 50 + 23
		t.Fatalf("%d documents", got)
	}
	// One name: the typed, generated operation.
	if _, missing, err := c.Values(ctx, []string{"TEXT"}); err != nil || len(missing) != 0 || count.ops["SecretValue"] != 1 {
		t.Fatalf("%v %v %v", missing, err, count.ops)
	}
	if _, err := c.Value(ctx, "NOPE"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestValuesRefusedToReadOnlyKeysNameTheSecret(t *testing.T) {
	env := apitest.Start(t)
	team, _ := env.Store.TenantBySlug(context.Background(), "default")
	env.Store.PutSecrets(context.Background(), team.ID, map[string]json.RawMessage{"A": json.RawMessage(`"CANARY-a"`), "B": json.RawMessage(`"CANARY-b"`)})
	ctx, c, _ := newClient(env, env.Key(t, "default", localapi.RoleReadOnlyUser, ""), "")
	_, _, err := c.Values(ctx, []string{"A", "B"})
	if !errors.Is(err, cloud.ErrForbidden) || !strings.Contains(err.Error(), `"A"`) || strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("%v", err)
	}
}

func TestTeamIDBySlug(t *testing.T) {
	env := apitest.Start(t)
	opsID := env.Team(t, "ops")
	if err := env.Store.AddMember(context.Background(), "ops", localapi.RoleUser, "admin"); err != nil {
		t.Fatal(err)
	}
	user := env.Key(t, "default", localapi.RoleUser, "admin")
	ctx, c, _ := newClient(env, user, "")
	if id, err := c.TeamID(ctx, "ops"); err != nil || id != opsID {
		t.Fatalf("%q %v", id, err)
	}
	if _, err := c.TeamID(ctx, "nope"); !errors.Is(err, bridge.ErrNoTeam) {
		t.Fatalf("unknown team: %v", err)
	}
}

// The UI's client never reads values: cloud/ holds no secret_value, and
// only bridge/'s own generated code does.
func TestSecretValueOnlyInTheBridgePackage(t *testing.T) {
	files, _ := filepath.Glob("../cloud/*.go")
	ops, _ := filepath.Glob("../cloud/operations/*.graphql")
	for _, f := range append(files, ops...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "secret_value") {
			t.Errorf("%s mentions secret_value", f)
		}
	}
	b, _ := os.ReadFile("generated.go")
	if !strings.Contains(string(b), "secret_value(name: $name)") {
		t.Fatal("bridge/generated.go lacks the SecretValue operation")
	}
}
