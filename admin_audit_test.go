package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// `teamsecrets audit` shows who changed what, filtered by team, secret and
// time, as a table or JSON lines, and never a value or a key.
func TestAuditCommandShowsTheTrailWithoutValuesOrKeys(t *testing.T) {
	dir := serverMadeStore(t) // bootstrap, and secret A written by the operator
	if code, out := runIn(dir, "key", "create", "--team", "default", "--name", "ci"); code != 0 {
		t.Fatalf("key create: %s", out)
	}
	code, out := runIn(dir, "audit", "--team", "default")
	if code != 0 || !strings.Contains(out, "secret.added") || !strings.Contains(out, "key.created") ||
		!strings.Contains(out, "member.changed") || !strings.Contains(out, "operator") {
		t.Fatalf("audit: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, storeCanary) || strings.Contains(out, childAdminKey) || strings.Contains(out, "tsk_") {
		t.Fatalf("audit shows a value or a key:\n%s", out)
	}

	code, out = runIn(dir, "audit", "--secret", "A", "--since", "1h", "--json")
	if code != 0 {
		t.Fatalf("audit --json: exit %d: %s", code, out)
	}
	var lines []auditJSON
	for sc := bufio.NewScanner(strings.NewReader(out)); sc.Scan(); {
		var e auditJSON
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		lines = append(lines, e)
	}
	if len(lines) != 1 || lines[0].Action != "secret.added" || lines[0].Secret != "A" || lines[0].Actor != "operator" || lines[0].Outcome != "ok" {
		t.Fatalf("audit --secret A --json = %+v", lines)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if code, out := runIn(dir, "audit", "--since", future, "--json"); code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("audit since the future: exit %d: %q", code, out)
	}
	if code, out := runIn(dir, "audit", "--since", "yesterday"); code != 2 || !strings.Contains(out, "--since") {
		t.Fatalf("a wrong --since: exit %d: %s", code, out)
	}
	if code, out := runIn(dir, "audit", "--team", "nope"); code != 1 || !strings.Contains(out, "nope") {
		t.Fatalf("an unknown team: exit %d: %s", code, out)
	}
}

func TestRetentionValues(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "365d": 365 * 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute} {
		var r retentionValue
		if err := r.Set(in); err != nil || time.Duration(r) != want {
			t.Errorf("%q = %v, %v; want %v", in, time.Duration(r), err, want)
		}
	}
	for _, in := range []string{"", "forever", "-1d", "-5h", "1.5d"} {
		var r retentionValue
		if err := r.Set(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
