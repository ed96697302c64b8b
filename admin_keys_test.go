package main

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
	"teamsecrets/schema"
)

var createdKey = regexp.MustCompile(`id ([0-9a-f-]{36}) \(shown once.*\n(tsk_\S+)`)

func TestKeyCreateListRevoke(t *testing.T) {
	dir := serverMadeStore(t)
	code, out := runIn(dir, "key", "create", "--team", "default", "--name", "ci runner", "--expires", "30d")
	m := createdKey.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("key create: exit %d: %s", code, out)
	}
	id, key := m[1], m[2]
	want := time.Now().AddDate(0, 0, 30).UTC().Format("2006-01-02")
	if !strings.Contains(out, "expires "+want) {
		t.Fatalf("key create does not say when it expires (%s): %s", want, out)
	}

	code, out = runIn(dir, "key", "list", "--team", "default")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "ci runner") || !strings.Contains(out, "(team key)") ||
		!strings.Contains(out, "LAST USED") || !strings.Contains(out, want) {
		t.Fatalf("key list: exit %d: %s", code, out)
	}
	if strings.Contains(out, key) || strings.Contains(out, "tsk_") || strings.Contains(out, childAdminKey) {
		t.Fatalf("key list shows key material: %s", out)
	}

	if code, out := runIn(dir, "key", "revoke", id); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("key revoke: exit %d: %s", code, out)
	}
	if code, out := runIn(dir, "key", "list", "--team", "default"); code != 0 || strings.Contains(out, id) {
		t.Fatalf("a revoked key is listed: %s", out)
	}
	if code, out := runIn(dir, "key", "revoke", id); code == 0 || !strings.Contains(out, "no key with id") {
		t.Fatalf("a second revoke: exit %d: %s", code, out)
	}

	// The API refuses the revoked key and takes the admin's.
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := localapi.NewServer(schema.SDL, st, "test")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	env := &apitest.Env{URL: ts.URL}
	if r := env.Do(t, key, "", `query { auth_info { tenant_id } }`, nil); r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("the revoked key: %+v", r)
	}
	if r := env.Do(t, childAdminKey, "", `query { auth_info { tenant_id } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("the admin's key: %+v", r)
	}
}

func TestKeyCreateRefusesABadExpiry(t *testing.T) {
	dir := serverMadeStore(t)
	for _, expires := range []string{"-1h", "2001-01-01T00:00:00Z", "soon", "0d"} {
		code, out := runIn(dir, "key", "create", "--team", "default", "--expires", expires)
		if code == 0 || strings.Contains(out, "tsk_") || !strings.Contains(out, "--expires") {
			t.Errorf("--expires %s: exit %d: %s", expires, code, out)
		}
	}
	if code, out := runIn(dir, "key", "create", "--team", "default", "--expires", "2h", "--user", "admin", "--name", "n"); code != 0 {
		t.Fatalf("a user key with an expiry: exit %d: %s", code, out)
	}
}
