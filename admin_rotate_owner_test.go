//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"teamsecrets/localapi"
)

// A server running as an unprivileged user (nobody) keeps serving its
// values after root ran `store rotate-master-key` beside it, and starts
// again after it: master.key stays the server's.
func TestRotateMasterKeyAsRootBesideAServerOfAnotherUser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process")
	}
	if os.Geteuid() != 0 {
		t.Skip("runs the server as another user, which needs root (the test runs as root in CI)")
	}
	t.Setenv(localapi.MasterKeyEnv, "")
	// The test binary and the data directory, where nobody may reach them.
	base, err := os.MkdirTemp("", "teamsecrets-owner-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	self := filepath.Join(base, "teamsecrets.test")
	if err := os.WriteFile(self, b, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	asNobody := func() *child {
		cmd := exec.Command(self, "api", "--addr", "127.0.0.1:0")
		cmd.Dir = base
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		return startChildCmd(t, cmd, dir)
	}
	c := asNobody()
	set := `mutation { set_secret(input: {name: "A", value: "a"}) { success } }`
	if _, err := gql(c.url, childAdminKey, set, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"store", "rotate-master-key", "--data-dir", dir}, &out, &out); code != 0 {
		t.Fatalf("rotate-master-key as root: %d %s", code, out.String())
	}
	read := func(when string) {
		t.Helper()
		d, err := gql(c.url, childAdminKey, `{ secret_value(name: "A") }`, nil)
		if err != nil || string(d["secret_value"]) != `"a"` {
			t.Fatalf("%s: %s, %v", when, d["secret_value"], err)
		}
		if _, err := gql(c.url, childAdminKey, set, nil); err != nil {
			t.Fatalf("%s: write: %v", when, err)
		}
	}
	read("after root rotated the key beside the server")
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c = asNobody()
	read("after a restart")
	if strings.Contains(out.String(), "warning") {
		t.Fatalf("rotate-master-key warned: %s", out.String())
	}
}
