package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi"
)

// A server process keeps answering reads and writes, without one error,
// while `store rotate-master-key` runs beside it, and after; every
// acknowledged write is then there and opens with the new key alone.
func TestRotateMasterKeyBesideARunningServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process")
	}
	t.Setenv(localapi.MasterKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	oldKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	w := startHTTPWriters(t, c.url, 4)
	w.waitFor(100)
	var out bytes.Buffer
	code := run(context.Background(), []string{"store", "rotate-master-key", "--data-dir", dir}, &out, &out)
	w.waitFor(100) // the server goes on, under the new key
	acked := w.end(t)
	if code != 0 {
		t.Fatalf("rotate-master-key: %d %s", code, out.String())
	}
	newKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	said := out.String()
	if !strings.Contains(said, "master key rotated: ") || !strings.Contains(said, "holds the new key alone") ||
		strings.Contains(said, strings.TrimSpace(string(oldKey))) || strings.Contains(said, strings.TrimSpace(string(newKey))) {
		t.Fatalf("rotate-master-key said: %s", said)
	}
	// Every acknowledged write reads back through the same server.
	for name, value := range acked {
		d, err := gql(c.url, childAdminKey, `query($n: String!) { secret_value(name: $n) }`, map[string]any{"n": name})
		if err != nil || string(d["secret_value"]) != `"`+value+`"` {
			t.Fatalf("%s after the rotation: %s, %v; want %q", name, d["secret_value"], err, value)
		}
	}
	code, audit := runIn(dir, "audit")
	if code != 0 || !strings.Contains(audit, "master_key.rotated") || strings.Contains(audit, strings.TrimSpace(string(newKey))) {
		t.Fatalf("audit: %d %s", code, audit)
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()

	// The new key alone opens every value: none is left under the old one.
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(newKey)))
	if err != nil || len(key) != 32 {
		t.Fatalf("master.key after the rotation is not one key: %v", err)
	}
	st, err := localapi.OpenStore(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Check(t.Context())
	if err != nil {
		t.Fatalf("with the new key alone: %v", err)
	}
	team, _ := st.TenantBySlug(t.Context(), "default")
	for name, value := range acked {
		v, err := st.SecretValue(t.Context(), team.ID, name)
		if err != nil || string(v) != `"`+value+`"` {
			t.Fatalf("%s: %s, %v", name, v, err)
		}
	}
	t.Logf("%d values, %d acknowledged writes around the rotation, all under the new key", r.Values, len(acked))
}

// --generate writes a new key to a new private file, prints no key, and
// never replaces a file; the ring then rotates the store from the command
// line.
func TestRotateMasterKeyWithAKeyRingFromTheCommandLine(t *testing.T) {
	dir := serverMadeStore(t)
	oldKey := strings.TrimSpace(string(readFile(t, filepath.Join(dir, localapi.MasterKeyFile))))
	keyFile := filepath.Join(t.TempDir(), "new.key")
	code, out := runIn(dir, "store", "rotate-master-key", "--generate", keyFile)
	if code != 0 || !strings.Contains(out, "wrote a new master key to "+keyFile) {
		t.Fatalf("--generate: %d %s", code, out)
	}
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v", err)
	}
	newKey := strings.TrimSpace(string(readFile(t, keyFile)))
	if k, err := base64.StdEncoding.DecodeString(newKey); err != nil || len(k) != 32 {
		t.Fatalf("the new key file holds no key: %v", err)
	}
	if strings.Contains(out, newKey) {
		t.Fatal("--generate printed the key")
	}
	if code, out := runIn(dir, "store", "rotate-master-key", "--generate", keyFile); code != 1 || !strings.Contains(out, "exists already") {
		t.Fatalf("--generate over an existing file: %d %s", code, out)
	}
	if newKey != strings.TrimSpace(string(readFile(t, keyFile))) {
		t.Fatal("the key file was replaced")
	}

	// The ring NEW,OLD: the store opens (OLD seals) and rotates to NEW.
	t.Setenv(localapi.MasterKeyEnv, newKey+","+oldKey)
	if code, out := runIn(dir, "store", "check"); code != 0 {
		t.Fatalf("store check with the ring: %s", out)
	}
	// The data directory's master.key (which a server started without the
	// variable uses) would open nothing after it: refused, nothing changed.
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	code, out = runIn(dir, "store", "rotate-master-key")
	if code != 1 || !strings.Contains(out, keyPath+" exists, which a server started without the variable uses") ||
		!strings.Contains(out, "--force") || strings.Contains(out, newKey) || strings.Contains(out, oldKey) {
		t.Fatalf("rotation with the ring beside master.key: %d %s", code, out)
	}
	t.Setenv(localapi.MasterKeyEnv, "")
	if code, out := runIn(dir, "store", "check"); code != 0 {
		t.Fatalf("store check with master.key after the refusal: %s", out)
	}
	t.Setenv(localapi.MasterKeyEnv, newKey+","+oldKey)
	code, out = runIn(dir, "store", "rotate-master-key", "--force")
	if code != 0 || !strings.Contains(out, "sealed under the first key of TEAMSECRETS_MASTER_KEY") || strings.Contains(out, newKey) {
		t.Fatalf("rotation with the ring: %d %s", code, out)
	}
	// The data directory's master.key (the old key) is now a trap: said so.
	if !strings.Contains(out, "warning: "+filepath.Join(dir, localapi.MasterKeyFile)+" is not used while TEAMSECRETS_MASTER_KEY is set") {
		t.Fatalf("no warning about the old master.key: %s", out)
	}
	t.Setenv(localapi.MasterKeyEnv, newKey)
	if code, out := runIn(dir, "store", "check"); code != 0 || !strings.Contains(out, "1 value, each opens") {
		t.Fatalf("store check with the new key alone: %s", out)
	}
	// Again with the same ring: nothing to do, said so.
	t.Setenv(localapi.MasterKeyEnv, newKey+","+oldKey)
	if code, out := runIn(dir, "store", "rotate-master-key", "--force"); code != 1 || !strings.Contains(out, "--generate") {
		t.Fatalf("a second rotation with the same ring: %d %s", code, out)
	}
}

// --generate given an empty name (an unset variable: --generate "$FILE")
// is refused, and does not rotate the store.
func TestRotateMasterKeyRefusesAnEmptyGenerate(t *testing.T) {
	dir := serverMadeStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	before := readFile(t, keyPath)
	for _, args := range [][]string{{"--generate", ""}, {"--generate="}} {
		code, out := runIn(dir, append([]string{"store", "rotate-master-key"}, args...)...)
		if code != 2 || !strings.Contains(out, "--generate needs the name of a new file") || strings.Contains(out, "rotated") {
			t.Fatalf("%q: %d %s", args, code, out)
		}
	}
	if after := readFile(t, keyPath); !bytes.Equal(after, before) {
		t.Fatal("--generate \"\" rotated the store")
	}
	if code, audit := runIn(dir, "audit"); code != 0 || strings.Contains(audit, "master_key.rotated") {
		t.Fatalf("audit: %d %s", code, audit)
	}
}

// A wrong current key is refused before anything changes, and says so.
func TestRotateMasterKeyRefusesAWrongKey(t *testing.T) {
	dir := serverMadeStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	before := readFile(t, keyPath)
	t.Setenv(localapi.MasterKeyEnv, otherMasterKey())
	code, out := runIn(dir, "store", "rotate-master-key")
	if code != 1 || !strings.Contains(out, "is not the key of the store") || strings.Contains(out, otherMasterKey()) {
		t.Fatalf("rotation with a wrong key: %d %s", code, out)
	}
	t.Setenv(localapi.MasterKeyEnv, "")
	if after := readFile(t, keyPath); !bytes.Equal(after, before) {
		t.Fatal("a refused rotation changed master.key")
	}
	if code, out := runIn(dir, "store", "check"); code != 0 || !strings.Contains(out, "store ok") {
		t.Fatalf("store check after the refusal: %s", out)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
