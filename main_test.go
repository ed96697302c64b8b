package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi/store/pgtest"
)

// The test binary doubles as the real server: with TEAMSECRETS_CHILD set it
// runs main's run() with the given arguments.
func TestMain(m *testing.M) {
	if os.Getenv("TEAMSECRETS_CHILD") == "1" {
		ctx, stop := shutdownContext() // signals as main has them
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	pgtest.Main(m)
}

// childAdminKey is the bootstrap key of child servers: a chosen key must
// be long and random enough.
const childAdminKey = "tsk_Zq7Lw2Vn9Rb4Xk8Tp1Hs6Gd3Jm5Fc0YaE"

// child is the server running as a separate process.
type child struct {
	cmd    *exec.Cmd
	url    string // base URL
	stderr *bytes.Buffer
}

// logs is what the child wrote to stderr so far.
func (c *child) logs() string { return readSync(c.stderr) }

var listenRE = regexp.MustCompile(`(https?://[0-9.:]+)/`)

func startChild(t *testing.T, dataDir string, args ...string) *child {
	t.Helper()
	return startChildCmd(t, exec.Command(os.Args[0], args...), dataDir)
}

// startChildCmd starts cmd, which runs the test binary as the server, and
// waits until it listens.
func startChildCmd(t *testing.T, cmd *exec.Cmd, dataDir string) *child {
	t.Helper()
	return launchChild(t, cmd, dataDir)(t)
}

// launchChild starts cmd (with cmd.Env added to this process's
// environment) and returns how to wait until it listens, so that several
// children can start at once.
func launchChild(t *testing.T, cmd *exec.Cmd, dataDir string) (wait func(*testing.T) *child) {
	t.Helper()
	cmd.Env = append(append(os.Environ(), cmd.Env...), "TEAMSECRETS_CHILD=1", "TEAMSECRETS_DATA_DIR="+dataDir,
		"TEAMSECRETS_BOOTSTRAP_KEY="+childAdminKey)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return func(t *testing.T) *child {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited: %s", readSync(&stderr))
				}
				if m := listenRE.FindStringSubmatch(l); m != nil {
					go func() {
						for range lines {
						}
					}()
					return &child{cmd: cmd, url: m[1], stderr: &stderr}
				}
			case <-timeout:
				t.Fatalf("child did not start: %s", readSync(&stderr))
			}
		}
	}
}

func gql(url, key, query string, vars map[string]any) (map[string]json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("%s", out.Errors[0].Message)
	}
	return out.Data, nil
}

// Every write the API acknowledged survives SIGKILL, and the store opens
// cleanly after it.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir := t.TempDir()
	const key = childAdminKey
	acked := map[string]string{}
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < 4; w++ {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("R%d_W%d_%05d", round, w, i)
					value := "v-" + name
					_, err := gql(c.url, key, `mutation($n: String!, $v: JSON!) { set_secret(input: {name: $n, value: $v}) { success } }`,
						map[string]any{"n": name, "v": value})
					if err != nil {
						return // the kill came mid-request: not acknowledged
					}
					mu.Lock()
					acked[name] = value
					mu.Unlock()
				}
			})
		}
		time.Sleep(700 * time.Millisecond)
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.cmd.Wait()
		close(stop)
		wg.Wait()
	}
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged; the test proves little", len(acked))
	}
	// Restart: the store must open and pass its integrity check.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"store", "check", "--data-dir", dir}, &out, &out); code != 0 {
		t.Fatalf("store check after SIGKILL: %s", out.String())
	}
	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	data, err := gql(c.url, key, `query { secret_names }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	json.Unmarshal(data["secret_names"], &names)
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	lost := 0
	for name, value := range acked {
		if !have[name] {
			lost++
			continue
		}
		d, err := gql(c.url, key, `query($name: String!) { secret_value(name: $name) }`, map[string]any{"name": name})
		if err != nil || string(d["secret_value"]) != `"`+value+`"` {
			t.Fatalf("value of %s: %s %v", name, d["secret_value"], err)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	t.Logf("%d acknowledged writes over 3 SIGKILLs, all present", len(acked))
}

func TestFirstStartPrintsBootstrapKeyOnceAndServesHealthz(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	t.Setenv("TEAMSECRETS_BOOTSTRAP_KEY", "")
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, &syncWriter{w: &out}, &bytes.Buffer{})
	}()
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		time.Sleep(10 * time.Millisecond)
		if m := listenRE.FindStringSubmatch(readSync(&out)); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no URL printed: %s", readSync(&out))
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("healthz headers: %v", res.Header)
	}
	key := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(readSync(&out))
	if key == "" {
		t.Fatalf("no key printed: %s", readSync(&out))
	}
	if _, err := gql(base, key, `query { secret_names }`, nil); err != nil {
		t.Fatalf("printed key does not work: %v", err)
	}
	// Every file of the data directory is private, the WAL included (it
	// exists while the server runs).
	for _, f := range []string{"master.key", "session.keys", "teamsecrets.db", "teamsecrets.db-wal", "teamsecrets.db-shm"} {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v", f, perm)
		}
	}
	// The UI signs in with it through the embedded API.
	if list := uitest.Attach(t, base).Login(key); list.Status != 200 || !strings.Contains(list.Body, "No secrets yet") {
		t.Fatalf("sign-in through the UI: %d %s", list.Status, list.Body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	// Second start: no new key, but how to make one if the first is lost.
	outMu.Lock()
	out.Reset()
	outMu.Unlock()
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, &syncWriter{w: &out}, &bytes.Buffer{})
	}()
	hintRE := regexp.MustCompile(`(?m)^Lost the API key printed on the first start\? .*\n +teamsecrets (key create .*)$`)
	var hint []string
	for i := 0; i < 200 && hint == nil; i++ {
		time.Sleep(10 * time.Millisecond)
		hint = hintRE.FindStringSubmatch(readSync(&out))
	}
	second := readSync(&out)
	if hint == nil || strings.Count(second, "Lost the API key") != 1 {
		t.Fatalf("second start gives no hint how to make a key: %s", second)
	}
	if strings.Contains(second, "tsk_") {
		t.Fatal("the key was printed again")
	}
	base = listenRE.FindStringSubmatch(second)[1]
	// The hint's command, run beside the server, makes a working
	// TENANT_ADMIN key.
	var keyOut bytes.Buffer
	if code := run(context.Background(), strings.Fields(hint[1]), &keyOut, &keyOut); code != 0 {
		t.Fatalf("%s: exit %d: %s", hint[1], code, keyOut.String())
	}
	newKey := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(keyOut.String())
	data, err := gql(base, newKey, `query { auth_info { role } }`, nil)
	if err != nil || !strings.Contains(string(data["auth_info"]), `"TENANT_ADMIN"`) {
		t.Fatalf("the hint's key: %s %v", data["auth_info"], err)
	}
	cancel()
	<-done
}

var outMu sync.Mutex

type syncWriter struct{ w *bytes.Buffer }

func (s *syncWriter) Write(p []byte) (int, error) {
	outMu.Lock()
	defer outMu.Unlock()
	return s.w.Write(p)
}

func readSync(b *bytes.Buffer) string {
	outMu.Lock()
	defer outMu.Unlock()
	return b.String()
}

func TestAdminCommands(t *testing.T) {
	dir := serverMadeStore(t) // admin commands need a store the server made
	cmd := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := run(context.Background(), append(args, "--data-dir", dir), &out, &out)
		return out.String(), code
	}
	if out, code := cmd("team", "create", "data-eng", "Data engineering"); code != 0 || !strings.Contains(out, "team data-eng created") {
		t.Fatalf("team create: %d %s", code, out)
	}
	if out, code := cmd("team", "create", "Bad Slug!"); code == 0 {
		t.Fatalf("bad slug accepted: %s", out)
	}
	if out, code := cmd("member", "add", "--team", "data-eng", "--role", "USER", "--user", "alice"); code != 0 {
		t.Fatalf("member add: %d %s", code, out)
	}
	out, code := cmd("key", "create", "--team", "data-eng", "--user", "alice")
	key := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(out)
	if code != 0 || key == "" || !strings.Contains(out, "role USER") {
		t.Fatalf("key create: %d %s", code, out)
	}
	if out, code := cmd("key", "create", "--team", "data-eng", "--role", "GOD"); code == 0 {
		t.Fatalf("bad role accepted: %s", out)
	}
	if out, code := cmd("team", "list"); code != 0 || !strings.Contains(out, "data-eng") || !strings.Contains(out, "Data engineering") {
		t.Fatalf("team list: %d %s", code, out)
	}
	if out, code := cmd("store", "check"); code != 0 || !strings.Contains(out, "store ok") {
		t.Fatalf("store check: %d %s", code, out)
	}
	// The key works against the API, with alice's role.
	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	if _, err := gql(c.url, key, `mutation { set_secret(input: {name: "FROM_ALICE", value: "v"}) { success } }`, nil); err != nil {
		t.Fatalf("alice (USER) cannot write: %v", err)
	}
	if _, err := gql(c.url, "tsk_not_a_key", `query { secret_names }`, nil); err == nil {
		t.Fatal("an unknown key was accepted")
	}
	// A second server on the same data directory is refused.
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"api", "--addr", "127.0.0.1:0", "--data-dir", dir}, &errOut, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "in use by another teamsecrets server") {
		t.Fatalf("second server: %d %s", code, errOut.String())
	}
}

// A key acts with its own role, never more than its user's membership, and
// "key create" never changes a membership: only "member add" does (finding 5
// of issue 9, where a READ_ONLY_USER key demoted alice's USER key and a later
// TENANT_ADMIN key let the read-only one read values).
func TestAdminKeyCreateKeepsMemberships(t *testing.T) {
	dir := serverMadeStore(t) // admin commands need a store the server made
	cmd := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := run(context.Background(), append(args, "--data-dir", dir), &out, &out)
		return out.String(), code
	}
	keyRE := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`)
	newKey := func(args ...string) string {
		t.Helper()
		out, code := cmd(append([]string{"key", "create", "--team", "alpha"}, args...)...)
		key := keyRE.FindString(out)
		if code != 0 || key == "" {
			t.Fatalf("key create %v: %d %s", args, code, out)
		}
		return key
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, code := cmd(append([]string{"key", "create", "--team", "alpha"}, args...)...)
		if code == 0 || !strings.Contains(out, want) || keyRE.MatchString(out) {
			t.Fatalf("key create %v: %d %s", args, code, out)
		}
	}
	if out, code := cmd("team", "create", "alpha"); code != 0 {
		t.Fatalf("team create: %d %s", code, out)
	}

	// No membership: refused, saying what to run; nothing is created, so a
	// second try is refused the same way.
	for range 2 {
		refused("teamsecrets member add --team alpha --role USER --user bob", "--role", "USER", "--user", "bob")
	}
	refused("teamsecrets member add --team alpha --role ROLE --user bob", "--user", "bob")

	if out, code := cmd("member", "add", "--team", "alpha", "--role", "USER", "--user", "alice"); code != 0 {
		t.Fatalf("member add: %d %s", code, out)
	}
	userKey := newKey("--role", "USER", "--user", "alice")
	readOnly := newKey("--role", "READ_ONLY_USER", "--user", "alice")
	// Above alice's membership: refused.
	refused("a key cannot have more than its user's role", "--role", "TENANT_ADMIN", "--user", "alice")
	// Without --role a user key gets the user's membership role.
	out, code := cmd("key", "create", "--team", "alpha", "--user", "alice")
	defaulted := keyRE.FindString(out)
	if code != 0 || defaulted == "" || !strings.Contains(out, "role USER, the user's membership role") {
		t.Fatalf("key create without --role: %d %s", code, out)
	}
	// Explicitly, alice becomes TENANT_ADMIN and gets such a key.
	if out, code := cmd("member", "add", "--team", "alpha", "--role", "TENANT_ADMIN", "--user", "alice"); code != 0 {
		t.Fatalf("member add: %d %s", code, out)
	}
	adminKey := newKey("--role", "TENANT_ADMIN", "--user", "alice")

	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	set := `mutation($n: String!) { set_secret(input: {name: $n, value: "v"}) { success } }`
	get := `query { secret_value(name: "FROM_USER_KEY") }`
	if _, err := gql(c.url, userKey, set, map[string]any{"n": "FROM_USER_KEY"}); err != nil {
		t.Fatalf("alice's USER key cannot write after a READ_ONLY_USER key was made: %v", err)
	}
	for _, key := range []string{userKey, defaulted, adminKey} {
		if _, err := gql(c.url, key, get, nil); err != nil {
			t.Fatalf("a USER or TENANT_ADMIN key cannot read the value: %v", err)
		}
	}
	if _, err := gql(c.url, readOnly, get, nil); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("the READ_ONLY_USER key read a value: %v", err)
	}
	if _, err := gql(c.url, readOnly, set, map[string]any{"n": "FROM_READ_ONLY"}); err == nil {
		t.Fatal("the READ_ONLY_USER key wrote")
	}
	for key, want := range map[string]string{readOnly: "READ_ONLY_USER", userKey: "USER", adminKey: "TENANT_ADMIN"} {
		data, err := gql(c.url, key, `query { auth_info { role } }`, nil)
		if err != nil || !strings.Contains(string(data["auth_info"]), `"role":"`+want+`"`) {
			t.Fatalf("auth_info = %s %v, want role %s", data["auth_info"], err, want)
		}
	}
}

// --api-url points the UI at another Cloud-compatible API (here the local
// API run alone) and opens no store of its own.
func TestUIWithAPIURL(t *testing.T) {
	apiDir, uiDir := t.TempDir(), t.TempDir()
	api := startChild(t, apiDir, "api", "--addr", "127.0.0.1:0")
	ui := startChild(t, uiDir, "--addr", "127.0.0.1:0", "--api-url", api.url+"/graphql")
	if list := uitest.Attach(t, ui.url).Login(childAdminKey); list.Status != 200 || !strings.Contains(list.Body, "Default team") {
		t.Fatalf("sign-in through --api-url: %d %s", list.Status, list.Body)
	}
	if _, err := os.Stat(filepath.Join(uiDir, "teamsecrets.db")); err == nil {
		t.Fatal("the UI with --api-url opened a local store")
	}
}

func TestWeakBootstrapKeyIsRefusedAtStartup(t *testing.T) {
	for _, key := range []string{"admin123", strings.Repeat("a", 40)} {
		dir := filepath.Join(t.TempDir(), "data")
		t.Setenv("TEAMSECRETS_BOOTSTRAP_KEY", key)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "TEAMSECRETS_BOOTSTRAP_KEY is too") ||
			!strings.Contains(stderr.String(), "at least 32 random characters") {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), key) {
			t.Fatal("the refusal prints the key")
		}
		if _, err := os.Stat(filepath.Join(dir, "teamsecrets.db")); !os.IsNotExist(err) {
			t.Fatalf("a store was created despite the refusal: %v", err)
		}
	}
}

// Every response of the server carries the security headers: the API's,
// /healthz and the router's own redirects too, with HSTS behind a TLS
// proxy (--secure-cookies).
func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	c := startChild(t, t.TempDir(), "--addr", "127.0.0.1:0", "--secure-cookies")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/healthz", ""},
		{"GET", "/readyz", ""},
		{"GET", "/metrics", ""},
		{"POST", "/graphql", `{"query":"{ api { version } }"}`},
		{"GET", "/graphql", ""},
		{"GET", "/teams/default/secrets//rotate", ""},
		{"GET", "/login", ""},
	} {
		req, _ := http.NewRequest(tc.method, c.url+tc.path, strings.NewReader(tc.body))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Strict-Transport-Security") == "" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s (%d): headers %v", tc.method, tc.path, res.StatusCode, h)
		}
	}
}

// A password in --api-url is not printed in the start line.
func TestAPIURLPasswordIsNotPrinted(t *testing.T) {
	printed, stop := serveInProcess(t, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--api-url", "https://ci:pw-canary-7731@api.example.test/graphql")
	stop()
	if strings.Contains(printed, "pw-canary-7731") || !strings.Contains(printed, "https://ci:xxxxx@api.example.test/graphql") {
		t.Fatalf("start line: %s", printed)
	}
}
