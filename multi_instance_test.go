package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi/store/pgtest"
)

// Instances on one PostgreSQL database: what one does, the other sees at
// once. Each runs as its own process with its own data directory; they share
// the database, the master key and the session keys, as a deployment behind
// a load balancer does.

// pgInstances starts n servers on one new database, all at once (so their
// bootstraps race, as instances started together do).
func pgInstances(t *testing.T, n int) []*child {
	t.Helper()
	in, _ := pgInstancesAt(t, n)
	return in
}

// pgInstancesAt is pgInstances, and the database's URL.
func pgInstancesAt(t *testing.T, n int) ([]*child, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts server processes on PostgreSQL")
	}
	dbURL := pgtest.URL(t)
	mk := make([]byte, 32)
	rand.Read(mk)
	env := []string{
		"TEAMSECRETS_DATABASE_URL=" + dbURL,
		"TEAMSECRETS_CREATE_STORE=true", // the deployment's first start
		"TEAMSECRETS_MASTER_KEY=" + base64.StdEncoding.EncodeToString(mk),
		"TEAMSECRETS_SESSION_KEYS=" + string(uitest.SessionKey),
	}
	waits := make([]func(*testing.T) *child, n)
	for i := range n {
		cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0")
		cmd.Env = env
		waits[i] = launchChild(t, cmd, t.TempDir())
	}
	out := make([]*child, n)
	for i, wait := range waits {
		out[i] = wait(t)
	}
	return out, dbURL
}

func names(t *testing.T, c *child, key string) []string {
	t.Helper()
	data, err := gql(c.url, key, `query { secret_names }`, nil)
	if err != nil {
		t.Fatalf("secret_names on %s: %v", c.url, err)
	}
	var ns []string
	json.Unmarshal(data["secret_names"], &ns)
	return ns
}

func TestInstancesOnOneDatabaseNeverReadStale(t *testing.T) {
	in, dbURL := pgInstancesAt(t, 2)
	key := childAdminKey
	stale := 0
	const rounds = 60
	for i := range rounds {
		w, r := in[i%2], in[(i+1)%2]
		name := fmt.Sprintf("S_%03d", i)
		if _, err := gql(w.url, key, `mutation($n: String!) { set_secret(input: {name: $n, value: "v"}) { success } }`,
			map[string]any{"n": name}); err != nil {
			t.Fatalf("set %s on %s: %v", name, w.url, err)
		}
		if !slices.Contains(names(t, r, key), name) {
			stale++
		}
		if i%3 == 2 { // and a delete, read back through the other
			gone := fmt.Sprintf("S_%03d", i-1)
			if _, err := gql(r.url, key, `mutation($n: String!) { delete_secret(input: {name: $n}) { success } }`,
				map[string]any{"n": gone}); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(names(t, w, key), gone) {
				stale++
			}
		}
	}
	if stale > 0 {
		t.Fatalf("%d stale reads in %d rounds", stale, rounds)
	}
	if got := len(names(t, in[0], key)); got != rounds-rounds/3 {
		t.Fatalf("%d names, want %d", got, rounds-rounds/3)
	}
	parsed, _ := url.Parse(dbURL)
	password, _ := parsed.User.Password()
	for _, c := range in {
		if logs := c.logs(); password == "" || strings.Contains(logs, password) || !strings.Contains(logs, "store: PostgreSQL") ||
			strings.Contains(logs, "TEAMSECRETS_SESSION_KEYS is not set") {
			t.Fatalf("an instance's log shows the database password, not its store, or a warning about the session keys it has: %s", logs)
		}
	}
}

func TestAKeyRevokedOnOneInstanceIsRefusedOnTheOther(t *testing.T) {
	in := pgInstances(t, 2)
	a, b := in[0], in[1]
	data, err := gql(a.url, childAdminKey, `query { auth_info { user_id tenant_id } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var who struct {
		UserID   string `json:"user_id"`
		TenantID string `json:"tenant_id"`
	}
	json.Unmarshal(data["auth_info"], &who)
	data, err = gql(a.url, childAdminKey, `mutation($input: create_api_key_input!) { create_api_key(input: $input) { id key } }`,
		map[string]any{"input": map[string]any{"name": "ci", "user_id": who.UserID, "default_tenant_id": who.TenantID}})
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ ID, Key string }
	json.Unmarshal(data["create_api_key"], &made)
	names(t, b, made.Key) // works on the other instance
	if _, err := gql(a.url, childAdminKey, `mutation($input: delete_api_key_input!) { delete_api_key(input: $input) { success } }`,
		map[string]any{"input": map[string]any{"key_id": made.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := gql(b.url, made.Key, `query { secret_names }`, nil); err == nil {
		t.Fatal("the other instance accepted the key after it was revoked")
	}
}

func TestSignOutOnOneInstanceEndsTheSessionOnTheOther(t *testing.T) {
	in := pgInstances(t, 2)
	ua := uitest.Attach(t, in[0].url)
	ua.Login(childAdminKey)
	// The same browser (its cookies) reaching the other instance.
	ub := uitest.Attach(t, in[1].url)
	ub.Client = ua.Client
	if p := ub.Get("/teams/default/secrets"); p.Status != http.StatusOK {
		t.Fatalf("the session does not work on the other instance: %d", p.Status)
	}
	copied := ua.Client.Jar.Cookies(mustURL(t, in[0].url))
	if p := ua.Post("/logout", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", p.Status)
	}
	// Replay the cookie from before sign-out on the other instance.
	thief := uitest.Attach(t, in[1].url)
	thief.Client.Jar.SetCookies(mustURL(t, in[1].url), copied)
	if p := thief.Get("/teams/default/secrets"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("a signed-out cookie still works on the other instance: %d %s", p.Status, p.Location())
	}
}

func TestFailedAuthenticationsCountAcrossInstances(t *testing.T) {
	in := pgInstances(t, 2)
	// API keys: 10 failures a minute per address, wherever they land.
	for i := range 10 {
		if _, err := gql(in[i%2].url, "tsk_wrong_"+fmt.Sprint(i), `query { secret_names }`, nil); err == nil ||
			strings.Contains(err.Error(), "Too many") {
			t.Fatalf("wrong key %d: %v", i+1, err)
		}
	}
	for _, c := range in {
		_, err := gql(c.url, "tsk_wrong_again", `query { secret_names }`, nil)
		if err == nil || !strings.Contains(err.Error(), "Too many") {
			t.Fatalf("%s after 10 failures across instances: %v, want refused", c.url, err)
		}
	}
	// Sign-in: 5 failures a minute per address.
	for i := range 5 {
		u := uitest.Attach(t, in[i%2].url)
		if p := u.Post("/login", map[string][]string{"key": {"tsk_wrong"}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in %d: %d", i+1, p.Status)
		}
	}
	for _, c := range in {
		u := uitest.Attach(t, c.url)
		if p := u.Post("/login", map[string][]string{"key": {childAdminKey}}); p.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: sign-in after 5 failures across instances: %d, want 429", c.url, p.Status)
		}
	}
}

func TestSIGKILLOfOneInstanceLosesNoAcknowledgedWrite(t *testing.T) {
	in := pgInstances(t, 2)
	a, b := in[0], in[1]
	acked := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("K_W%d_%05d", w, i)
				value := "v-" + name
				if _, err := gql(a.url, childAdminKey, `mutation($n: String!, $v: JSON!) { set_secret(input: {name: $n, value: $v}) { success } }`,
					map[string]any{"n": name, "v": value}); err != nil {
					return // killed mid-request: not acknowledged
				}
				mu.Lock()
				acked[name] = value
				mu.Unlock()
			}
		})
	}
	time.Sleep(800 * time.Millisecond)
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged; the test proves little", len(acked))
	}
	have := map[string]bool{}
	for _, n := range names(t, b, childAdminKey) {
		have[n] = true
	}
	for name, value := range acked {
		if !have[name] {
			t.Errorf("acknowledged write %s is missing on the other instance", name)
			continue
		}
		d, err := gql(b.url, childAdminKey, `query($name: String!) { secret_value(name: $name) }`, map[string]any{"name": name})
		if err != nil || string(d["secret_value"]) != `"`+value+`"` {
			t.Fatalf("value of %s: %s %v", name, d["secret_value"], err)
		}
	}
	t.Logf("%d acknowledged writes before SIGKILL, all present through the other instance", len(acked))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// An instance on PostgreSQL without shared session keys says so at start:
// behind a load balancer its users would be signed out at every switch.
func TestInstanceWithoutSharedSessionKeysWarns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process on PostgreSQL")
	}
	mk := make([]byte, 32)
	rand.Read(mk)
	cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0")
	cmd.Env = []string{"TEAMSECRETS_DATABASE_URL=" + pgtest.URL(t), "TEAMSECRETS_CREATE_STORE=true",
		"TEAMSECRETS_MASTER_KEY=" + base64.StdEncoding.EncodeToString(mk), "TEAMSECRETS_SESSION_KEYS="}
	c := launchChild(t, cmd, t.TempDir())(t)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.logs(), "TEAMSECRETS_SESSION_KEYS is not set") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about session keys: %s", c.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
