package postgres

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/pgtest"
)

// Only postgres:// and postgresql:// URLs are taken, and no error or log
// line shows the URL's password: a bad URL, a wrong password, a server
// that is not there, a database that does not exist.
func TestURLsRefusedAndPasswordNeverShown(t *testing.T) {
	for _, bad := range []string{"mysql://u:hunter2hunter2@h/db", "host=h password=hunter2hunter2", "/var/lib/db", "", "postgres ://x"} {
		err := CheckURL(bad)
		if !errors.Is(err, ErrBadURL) || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("CheckURL(%q) = %v", bad, err)
		}
		if _, err := Open(t.Context(), bad, Options{Create: true}); !errors.Is(err, ErrBadURL) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
	for _, good := range []string{"postgres://h/db", "postgresql://u@h:5433/db?sslmode=require"} {
		if err := CheckURL(good); err != nil {
			t.Errorf("CheckURL(%q) = %v", good, err)
		}
	}

	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	good, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Sup3r-s3cret/p@ss:word"
	withPassword := func(u url.URL, user, password string) string {
		u.User = url.UserPassword(user, password)
		return u.String()
	}
	noDB := *good
	noDB.Path = "/no_such_database"
	wrongPort := *good
	wrongPort.Host = "127.0.0.1:1"
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for what, u := range map[string]string{
		"wrong password":      withPassword(*good, "postgres", pw),
		"unknown user":        withPassword(*good, "nobody_here", pw),
		"no such database":    withPassword(noDB, "postgres", pw),
		"nothing listening":   withPassword(wrongPort, "postgres", pw),
		"password parameter":  strings.Replace(good.String(), good.User.String()+"@", "", 1) + "&password=" + url.QueryEscape(pw) + "&connect_timeout=x",
		"bad parameter value": withPassword(*good, "postgres", pw) + "&connect_timeout=notanumber",
		"unparseable":         "postgres://postgres:" + pw + "@[::1:5432/db",
	} {
		_, err := Open(ctx, u, Options{Create: true})
		if err == nil {
			t.Fatalf("%s: opened", what)
		}
		for _, shown := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), "Sup3r"} {
			if strings.Contains(err.Error(), shown) {
				t.Errorf("%s: the error shows the password: %v", what, err)
			}
		}
		t.Logf("%s: %v", what, err)
	}
	if strings.Contains(logs.String(), "Sup3r") {
		t.Fatalf("a log line shows the password: %s", logs.String())
	}
}

// The redaction also covers messages pgx would build from the URL.
func TestRedactRemovesThePasswordFromAnyMessage(t *testing.T) {
	db := &DB{password: passwords("postgres://u:p%40ss%2Fw:rd@h/db")}
	err := db.err(errors.Join(store.ErrFull, errors.New("cannot parse `postgres://u:p%40ss%2Fw:rd@h/db`: p@ss/w:rd")))
	if strings.Contains(err.Error(), "p@ss") || strings.Contains(err.Error(), "p%40ss") || !errors.Is(err, store.ErrFull) {
		t.Fatalf("redacted: %v", err)
	}
	if got := Redact("postgres://u:secret@h/db?password=other&sslmode=disable"); strings.Contains(got, "secret") || strings.Contains(got, "other") {
		t.Fatalf("Redact = %s", got)
	}
}

// A full disk (SQLSTATE 53100, raised here by a trigger as the server
// raises it when it cannot extend a file) is store.ErrFull, and the failed
// write leaves nothing behind.
func TestDiskFullIsErrFull(t *testing.T) {
	url := pgtest.URL(t)
	db := openURL(t, url)
	ctx := t.Context()
	alpha := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := db.CreateTenant(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	if err := FillDiskForTest(ctx, db); err != nil {
		t.Fatal(err)
	}
	err := db.PutSealed(ctx, nil, alpha.ID, "BIG", "", []byte("sealed"))
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("write to a full disk: %v, want ErrFull", err)
	}
	err = db.PutSealedMany(ctx, nil, alpha.ID, "", map[string][]byte{"A": []byte("a"), "B": []byte("b")})
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("many writes to a full disk: %v, want ErrFull", err)
	}
	if n, _ := db.SecretCount(ctx, alpha.ID); n != 0 {
		t.Fatalf("%d values after failed writes", n)
	}
	if n, _ := db.AuditCount(ctx, store.AuditQuery{TenantID: alpha.ID}); n != 0 {
		t.Fatalf("%d events after failed writes", n)
	}
}

// Text PostgreSQL refuses (a NUL byte, invalid UTF-8) is a clear error on
// a write, with nothing written, and finds nothing on a read.
func TestTextPostgreSQLCannotStore(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	alpha := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := db.CreateTenant(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"A\x00B", "A\xffB"} {
		for what, err := range map[string]error{
			"put":       db.PutSealed(ctx, nil, alpha.ID, bad, "", []byte("x")),
			"put many":  db.PutSealedMany(ctx, nil, alpha.ID, "", map[string][]byte{"OK": []byte("x"), bad: []byte("x")}),
			"actor":     db.PutSealed(ctx, nil, alpha.ID, "OK", bad, []byte("x")),
			"team name": db.CreateTenant(ctx, store.Tenant{ID: uuid.NewString(), Slug: "beta", Name: bad}),
			"member":    db.AddMember(ctx, alpha, store.RoleUser, bad),
			"key name":  db.CreateKey(ctx, store.NewKey{Hash: "h", Tenant: alpha, Role: store.RoleUser, Name: bad}),
		} {
			if !errors.Is(err, ErrBadText) || !strings.Contains(err.Error(), "NUL byte or invalid UTF-8") {
				t.Errorf("%s %q: %v", what, bad, err)
			}
		}
		if ok, err := db.SecretExists(ctx, alpha.ID, bad); ok || err != nil {
			t.Errorf("SecretExists(%q) = %v, %v", bad, ok, err)
		}
		if _, err := db.SealedSecret(ctx, alpha.ID, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SealedSecret(%q) = %v", bad, err)
		}
		if _, err := db.TenantBySlug(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TenantBySlug(%q) = %v", bad, err)
		}
		if ms, err := db.SecretMetas(ctx, alpha.ID, store.SecretQuery{Search: bad, Limit: 10}); len(ms) != 0 || err != nil {
			t.Errorf("search %q: %v, %v", bad, ms, err)
		}
		if found, err := db.DeleteSecret(ctx, alpha.ID, bad); found || err != nil {
			t.Errorf("DeleteSecret(%q) = %v, %v", bad, found, err)
		}
		// An event is recorded whatever the request carried.
		if err := db.AppendAudit(ctx, store.AuditEvent{Action: store.AuditAuthRefused, Outcome: store.OutcomeRefused,
			Auditor: store.Auditor{RequestID: bad, ClientAddr: bad}}); err != nil {
			t.Errorf("audit event naming %q: %v", bad, err)
		}
	}
	if n, _ := db.SecretCount(ctx, alpha.ID); n != 0 {
		t.Fatalf("%d values written", n)
	}
	events, err := db.AuditEvents(ctx, store.AuditQuery{AllTenants: true, SecretOnly: true})
	if err != nil || len(events) != 2 || events[0].Outcome != store.OutcomeNotFound || events[0].Secret != "A\uFFFDB" {
		t.Fatalf("delete events: %+v, %v", events, err)
	}
}

// The audit trail is append-only in the database itself: UPDATE and
// TRUNCATE are refused whoever connects; retention's DELETE works.
func TestAuditTrailIsAppendOnly(t *testing.T) {
	url := pgtest.URL(t)
	db := openURL(t, url)
	ctx := t.Context()
	if err := db.AppendAudit(ctx, store.AuditEvent{Action: store.AuditAuthRefused, Outcome: store.OutcomeRefused}); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, url)
	for _, q := range []string{`UPDATE audit_event SET actor = 'someone else'`, `TRUNCATE audit_event`} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	if n, err := db.PruneAudit(ctx, time.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Fatalf("prune: %d, %v", n, err)
	}
}

// A commit is on disk when it returns even where the server or the role
// says synchronous_commit = off.
func TestCommitsAreDurableWhateverTheServerDefault(t *testing.T) {
	url := pgtest.URL(t)
	conn := raw(t, url)
	if _, err := conn.Exec(t.Context(), `ALTER ROLE CURRENT_USER IN DATABASE `+strings.TrimPrefix(mustURL(t, url).Path, "/")+
		` SET synchronous_commit = off`); err != nil {
		t.Fatal(err)
	}
	db := openURL(t, url)
	var mode string
	if err := db.pool.QueryRow(t.Context(), `SHOW synchronous_commit`).Scan(&mode); err != nil || mode != "on" {
		t.Fatalf("synchronous_commit = %q, %v", mode, err)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// CreateKey holds the membership it checked until it commits: a role
// change under way is waited for and then seen.
func TestCreateKeyWaitsForAMembershipChange(t *testing.T) {
	url := pgtest.URL(t)
	db := openURL(t, url)
	ctx := t.Context()
	alpha := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := db.CreateTenant(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMember(ctx, alpha, store.RoleUser, "bob"); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, url)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE membership SET role = $1`, store.RoleReadOnlyUser); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- db.CreateKey(ctx, store.NewKey{Hash: "h-bob", Tenant: alpha, Role: store.RoleUser, Username: "bob"})
	}()
	// Wait until CreateKey waits for the row lock, then commit the change.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("CreateKey did not wait for the membership change: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("CreateKey never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, store.ErrAboveMembership) {
		t.Fatalf("key above the new role: %v, want ErrAboveMembership", err)
	}
}
