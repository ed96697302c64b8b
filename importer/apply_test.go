package importer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/cloud"
	"teamsecrets/importer"
	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// recorder counts the documents sent and keeps the largest body.
type recorder struct {
	mu       sync.Mutex
	requests int
	largest  int
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	r.mu.Lock()
	r.requests++
	r.largest = max(r.largest, len(body))
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

var fast = cloud.RetryPolicy{MaxAttempts: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: time.Second, AttemptTimeout: 10 * time.Second}

func client(env *apitest.Env, key string) (context.Context, *cloud.Client, *recorder) {
	rec := &recorder{}
	return cloud.WithCredentials(context.Background(), key, ""), cloud.New(env.URL, rec, fast), rec
}

func entry(name, value string) importer.Entry {
	return importer.Entry{Name: name, Value: json.RawMessage(value)}
}

func outcomes(results []importer.Result) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%s=%s", r.Name, r.Outcome)
		if r.Reason != "" {
			fmt.Fprintf(&b, "(%s)", r.Reason)
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func value(t *testing.T, env *apitest.Env, name string) string {
	t.Helper()
	r := env.Do(t, env.AdminKey, "", `query($n: String!) { secret_value(name: $n) }`, map[string]any{"n": name})
	if len(r.Errors) > 0 {
		return "<missing>"
	}
	return string(r.Data["secret_value"])
}

func TestApplySkipsExistingUnlessOverwriteAndDryRunChangesNothing(t *testing.T) {
	env := apitest.Start(t)
	ctx, api, _ := client(env, env.AdminKey)
	team, _ := env.Store.TenantBySlug(ctx, "default")
	env.Store.PutSecret(ctx, team.ID, "EXISTS", json.RawMessage(`"old"`))
	entries := []importer.Entry{
		entry("EXISTS", `"new"`),
		entry("NEW_TEXT", `"text"`),
		entry("NEW_JSON", `{"a":[1,2.5,true,null]}`),
		{Name: "1BAD", Invalid: "name must start with a letter or an underscore"},
	}

	results, err := importer.Apply(ctx, api, entries, importer.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(results); got != "EXISTS=skipped(exists) NEW_TEXT=added NEW_JSON=added 1BAD=invalid(name must start with a letter or an underscore)" {
		t.Fatalf("dry run: %s", got)
	}
	if value(t, env, "NEW_TEXT") != "<missing>" || value(t, env, "EXISTS") != `"old"` {
		t.Fatal("the dry run changed the team")
	}

	results, err = importer.Apply(ctx, api, entries, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(results); got != "EXISTS=skipped(exists) NEW_TEXT=added NEW_JSON=added 1BAD=invalid(name must start with a letter or an underscore)" {
		t.Fatalf("import: %s", got)
	}
	if value(t, env, "EXISTS") != `"old"` || value(t, env, "NEW_TEXT") != `"text"` || value(t, env, "NEW_JSON") != `{"a":[1,2.5,true,null]}` {
		t.Fatal("values not as imported")
	}

	results, _ = importer.Apply(ctx, api, entries, importer.Options{Overwrite: true, DryRun: true})
	if got := outcomes(results); !strings.HasPrefix(got, "EXISTS=replaced NEW_TEXT=replaced NEW_JSON=replaced") || value(t, env, "EXISTS") != `"old"` {
		t.Fatalf("overwrite dry run: %s", got)
	}
	results, _ = importer.Apply(ctx, api, entries, importer.Options{Overwrite: true})
	if got := outcomes(results); !strings.HasPrefix(got, "EXISTS=replaced NEW_TEXT=replaced") || value(t, env, "EXISTS") != `"new"` {
		t.Fatalf("overwrite: %s", got)
	}
	if s := importer.Summarize(results).String(); s != "0 added, 3 replaced, 0 skipped, 1 invalid, 0 failed" {
		t.Fatal(s)
	}
}

func TestApplyReportsEachFailedWrite(t *testing.T) {
	env := apitest.Start(t)
	reader := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	ctx, api, _ := client(env, reader)
	results, err := importer.Apply(ctx, api, []importer.Entry{entry("A", `"CANARY-a"`), entry("B", `"CANARY-b"`)}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != importer.Failed || r.Reason != "This key may not do that in this team." || r.Err == nil {
			t.Fatalf("%+v", r)
		}
	}
	// A key that is not accepted changes nothing and fails as a whole.
	ctx, api, _ = client(env, "tsk_not_a_key")
	if _, err := importer.Apply(ctx, api, []importer.Entry{entry("A", `"x"`)}, importer.Options{}); err == nil {
		t.Fatal("an unknown key was accepted")
	}
}

// Imports are written in few documents, each within the API's request
// limit, however many or large the secrets.
func TestApplyWritesInBatchesWithinTheRequestLimit(t *testing.T) {
	env := apitest.Start(t)
	ctx, api, rec := client(env, env.AdminKey)
	var entries []importer.Entry
	for i := range 450 {
		entries = append(entries, entry(fmt.Sprintf("SMALL_%03d", i), fmt.Sprintf(`"v%d"`, i)))
	}
	big := `"` + strings.Repeat("x", 60<<10) + `"`
	for i := range 30 {
		entries = append(entries, entry(fmt.Sprintf("BIG_%02d", i), big))
	}
	results, err := importer.Apply(ctx, api, entries, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := importer.Summarize(results); s.Added != 480 || s.Failed != 0 {
		t.Fatalf("%s: %s", s, outcomes(results))
	}
	// 1 names call; 450 small in 3 documents of ≤200 (the first also takes
	// big ones up to 768 KiB), 30 × 60 KiB in documents of ≤12.
	if rec.requests > 8 {
		t.Errorf("%d requests", rec.requests)
	}
	if rec.largest >= localapi.MaxRequestBytes {
		t.Errorf("a request of %d bytes", rec.largest)
	}
	if got := len(env.Do(t, env.AdminKey, "", `{ secret_names }`, nil).Data["secret_names"]); got == 0 {
		t.Fatal("no names")
	}
	if value(t, env, "BIG_29") != big || value(t, env, "SMALL_449") != `"v449"` {
		t.Fatal("values not as imported")
	}
}
