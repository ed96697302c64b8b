package pgtest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// Each URL is a database of its own, reachable with the URL's password
// only, and dropped when its test ends.
func TestURLIsAFreshDatabaseDroppedAfterTheTest(t *testing.T) {
	var first string
	t.Run("a", func(t *testing.T) {
		first = URL(t)
		conn := dial(t, first)
		if _, err := conn.Exec(t.Context(), `CREATE TABLE x (n int)`); err != nil {
			t.Fatal(err)
		}
		second := URL(t)
		if second == first {
			t.Fatal("two tests share a database")
		}
		conn2 := dial(t, second)
		var n int
		if err := conn2.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a new database holds another's table: %d, %v", n, err)
		}
		if os.Getenv(URLEnv) == "" {
			u, _ := url.Parse(first)
			u.User = url.User("postgres")
			if c, err := pgx.Connect(t.Context(), u.String()); err == nil {
				c.Close(t.Context())
				t.Fatal("connected over TCP without the password")
			}
		}
	})
	if t.Skipped() || first == "" {
		return
	}
	s, _ := get()
	s.bg.Wait() // drops run in the background
	var n int
	name := strings.TrimPrefix(mustParse(t, first).Path, "/")
	if err := s.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Fatalf("database %s after its test: %d, %v", name, n, err)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func dial(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Without PostgreSQL a test is skipped saying how to get it, unless
// TEAMSECRETS_TEST_POSTGRES=require: then it fails. (The test binary runs
// itself, finding no server programs.)
func TestWithoutPostgresTestsSkipOrFailWhenRequired(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") != "" {
		binGlob = "/nonexistent/*/bin"
		URL(t)
		t.Log("URL returned")
		return
	}
	for _, require := range []bool{false, true} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutPostgresTestsSkipOrFailWhenRequired$", "-test.v")
		cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", "PATH="+t.TempDir(), URLEnv+"=")
		if require {
			cmd.Env = append(cmd.Env, RequireEnv+"=require")
		} else {
			cmd.Env = append(cmd.Env, RequireEnv+"=")
		}
		out, err := cmd.CombinedOutput()
		text := string(out)
		switch {
		case strings.Contains(text, "URL returned"):
			t.Fatalf("URL returned without PostgreSQL:\n%s", text)
		case !require && (err != nil || !strings.Contains(text, "--- SKIP") || !strings.Contains(text, "apt-get install postgresql") ||
			!strings.Contains(text, "no PostgreSQL server binaries")):
			t.Fatalf("without PostgreSQL: %v\n%s", err, text)
		case require && (err == nil || !strings.Contains(text, "--- FAIL") || !strings.Contains(text, "no PostgreSQL server binaries")):
			t.Fatalf("without PostgreSQL, required: %v\n%s", err, text)
		}
	}
}
