// Package pgtest gives tests a real PostgreSQL: one throwaway cluster per
// test binary, started on first use and removed when the binary ends, and a
// fresh database per test.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.URL(t) // postgres://…, a database of its own, dropped after the test
//	}
//
// The cluster is made with initdb and started with pg_ctl, found in PATH or
// under /usr/lib/postgresql/*/bin (apt-get install postgresql). As root (CI,
// containers) the server runs as the postgres OS user, which PostgreSQL
// requires. It listens on 127.0.0.1 on a free port (password required, the
// password being in the URL) and on a unix socket inside its own temporary
// directory; fsync is off: a crash loses the cluster, which is thrown away
// anyway. Its default collation is ICU's en-US where the server has ICU, as
// on a typical production server, so a query that depends on the database's
// collation shows it.
//
// Environment:
//
//   - TEAMSECRETS_TEST_DATABASE_URL: use this existing server instead (a
//     role that may create databases); each test still gets a database of
//     its own.
//   - TEAMSECRETS_TEST_POSTGRES=require: a test that cannot get PostgreSQL
//     fails instead of being skipped (CI sets it).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Environment variables read by the harness.
const (
	// RequireEnv set to "require" turns a skip for want of PostgreSQL into
	// a failure.
	RequireEnv = "TEAMSECRETS_TEST_POSTGRES"
	// URLEnv points the harness at an existing server.
	URLEnv = "TEAMSECRETS_TEST_DATABASE_URL"
)

// Main runs m's tests and then stops and removes the cluster, if a test
// started one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	if n := skipped.Load(); n > 0 && !testing.Verbose() {
		// go test shows a passing package's output only with -v: say it
		// on the terminal, if there is one.
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprintf(tty, "%s: %d PostgreSQL tests skipped: %s\n", filepath.Base(os.Args[0]), n, skipReason.Load())
			tty.Close()
		}
	}
	os.Exit(code)
}

// skipped counts the tests URL skipped, for Main to say so.
var (
	skipped    atomic.Int64
	skipReason atomic.Value // string
)

// URL returns the URL of a new, empty database for this test alone; it is
// dropped when the test ends. Without PostgreSQL the test is skipped,
// saying why and how to get it (or fails, with TEAMSECRETS_TEST_POSTGRES=
// require).
func URL(t testing.TB) string {
	t.Helper()
	s, err := get()
	if err != nil {
		var missing *unavailable
		if errors.As(err, &missing) && os.Getenv(RequireEnv) != "require" {
			skipped.Add(1)
			skipReason.Store(fmt.Sprintf("%v; install it (apt-get install postgresql) or set %s", err, URLEnv))
			t.Skipf("PostgreSQL tests skipped: %v. Install it (apt-get install postgresql) or set %s; "+
				"%s=require makes this a failure", err, URLEnv, RequireEnv)
		}
		t.Fatalf("PostgreSQL for tests: %v", err)
	}
	name, err := s.database()
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { s.drop(name) })
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

// database returns a new database's name: a spare made while the last
// test ran, or one made now; and starts making the next spare (CREATE
// DATABASE copies a template, a few hundred milliseconds).
func (s *server) database() (string, error) {
	var name string
	select {
	case name = <-s.spare:
	default:
		var err error
		if name, err = s.create(); err != nil {
			return "", err
		}
	}
	s.bg.Go(func() {
		if spare, err := s.create(); err == nil {
			select {
			case s.spare <- spare:
			default:
				s.drop(spare)
			}
		}
	})
	return name, nil
}

func (s *server) create() (string, error) {
	name := "ts_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize())
	return name, err
}

// drop drops a test's database, in the background: Main waits for it.
func (s *server) drop(name string) {
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: drop database %s: %v\n", name, err)
		}
	})
}

// WALDir is the write-ahead log directory of the cluster the tests' URLs
// are on, for tests that scan what reached the disk; "" when the harness
// uses TEAMSECRETS_TEST_DATABASE_URL's server (not on this machine, or not
// ours to read).
func WALDir(t testing.TB) string {
	s, err := get()
	if err != nil || s.c == nil {
		return ""
	}
	return filepath.Join(s.c.data(), "pg_wal")
}

// unavailable: no PostgreSQL to start here (a skip, unless required).
type unavailable struct{ why string }

func (u *unavailable) Error() string { return u.why }

// server is the PostgreSQL the tests use.
type server struct {
	base  *url.URL      // of the maintenance database; tests' URLs differ in the path
	admin *pgxpool.Pool // creates and drops the tests' databases
	c     *cluster      // nil for TEAMSECRETS_TEST_DATABASE_URL's server
	spare chan string   // a database made ahead for the next test
	bg    sync.WaitGroup
}

var (
	mu     sync.Mutex
	cur    *server
	curErr error
	tried  bool
)

// get starts the cluster on first use (or connects to URLEnv's server).
func get() (*server, error) {
	mu.Lock()
	defer mu.Unlock()
	if !tried {
		tried = true
		cur, curErr = connect()
	}
	return cur, curErr
}

func connect() (*server, error) {
	raw := os.Getenv(URLEnv)
	var c *cluster
	if raw == "" {
		var err error
		if c, err = startCluster(); err != nil {
			return nil, err
		}
		raw = c.url
	}
	base, err := url.Parse(raw)
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("%s is not a URL", URLEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, raw)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("connect to the test server: %v", err)
	}
	return &server{base: base, admin: admin, c: c, spare: make(chan string, 1)}, nil
}

func stop() {
	mu.Lock()
	defer mu.Unlock()
	if cur != nil {
		cur.bg.Wait()
		select {
		case name := <-cur.spare:
			cur.drop(name)
			cur.bg.Wait()
		default:
		}
		cur.admin.Close()
		cur.c.stop()
		cur = nil
	}
}

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	bin      string // the directory of initdb, pg_ctl and postgres
	dir      string // everything: data, socket, log, password file
	asUser   string // run the server as this OS user ("" : as ourselves)
	url      string
	watchdog *exec.Cmd
}

func (c *cluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *cluster) logFile() string { return filepath.Join(c.dir, "server.log") }

// findBin returns the directory holding initdb and pg_ctl: in PATH, else
// the newest of /usr/lib/postgresql/*/bin (Debian and Ubuntu put them
// there, outside PATH).
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob(binGlob)
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if isExec(filepath.Join(dir, "pg_ctl")) && isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", &unavailable{"no PostgreSQL server binaries (initdb, pg_ctl, postgres) in PATH or /usr/lib/postgresql/*/bin"}
}

// binGlob is where Debian and Ubuntu install the server's programs.
var binGlob = "/usr/lib/postgresql/*/bin"

// versionOf is N of /usr/lib/postgresql/N/bin (0 if not a number).
func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// startCluster makes and starts a cluster: initdb, then pg_ctl -w start on a
// free port (tried again on another port if that one was taken meanwhile).
func startCluster() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	sweepStale()
	c := &cluster{bin: bin}
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, &unavailable{"running as root, and there is no postgres OS user to run the server as"}
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		c.asUser = "postgres"
	}
	if c.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return nil, err
	}
	password := randomHex(16)
	if err := c.prepare(uid, gid, password); err != nil {
		c.remove()
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			c.remove()
			return nil, err
		}
		err = c.run("pg_ctl", "-D", c.data(), "-l", c.logFile(), "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port), "start")
		if err == nil {
			c.url = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, port)
			c.startWatchdog()
			return c, nil
		}
		log, _ := os.ReadFile(c.logFile())
		if attempt < 2 && strings.Contains(string(log), "could not bind") {
			os.Truncate(c.logFile(), 0)
			continue
		}
		c.stop()
		return nil, fmt.Errorf("start the test cluster: %v\n--- server log %s:\n%s", err, c.logFile(), log)
	}
}

// dirPrefix names the clusters' temporary directories (see sweepStale).
const dirPrefix = "teamsecrets-pgtest-"

// prepare runs initdb in c.dir, owned by uid:gid when set, with the
// superuser postgres and password.
func (c *cluster) prepare(uid, gid int, password string) error {
	if err := os.WriteFile(filepath.Join(c.dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if uid >= 0 {
		for _, p := range []string{c.dir, pwfile, filepath.Join(c.dir, "owner.pid")} {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	// ICU's en-US as the default collation where the server has ICU (as a
	// typical production server's linguistic one); else C.
	base := []string{"-D", c.data(), "-U", "postgres", "-E", "UTF8", "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"}
	var err error
	for _, locale := range [][]string{
		{"--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"},
		{"--locale=C"},
	} {
		os.RemoveAll(c.data())
		if err = c.run("initdb", append(base, locale...)...); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	os.Remove(pwfile)
	conf := fmt.Sprintf(`
# pgtest: a throwaway cluster for tests
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 32MB
max_wal_size = 1GB
`, c.dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	return errors.Join(err, f.Close())
}

// run runs one of the server's programs, as c.asUser if set; its output
// is in the error.
func (c *cluster) run(prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	cmd.Env = append(cleanEnv(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", prog, err, out)
	}
	return nil
}

// cleanEnv is the environment without PG* variables, which would point
// the programs elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			env = append(env, kv)
		}
	}
	return env
}

// startWatchdog starts a process that stops the server and removes the
// directory if the test binary dies without Main's cleanup (killed, timed
// out).
func (c *cluster) startWatchdog() {
	stop := filepath.Join(c.bin, "pg_ctl")
	if c.asUser != "" {
		stop = "runuser -u " + c.asUser + " -- " + stop
	}
	script := `while kill -0 "$1" 2>/dev/null; do sleep 1; done; ` + stop + ` -D "$2/data" -m immediate stop >/dev/null 2>&1; rm -rf "$2"`
	cmd := exec.Command("sh", "-c", script, "pgtest-watchdog", strconv.Itoa(os.Getpid()), c.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not in the test's process group
	if cmd.Start() == nil {
		c.watchdog = cmd
	}
}

// stop stops the server and removes its directory.
func (c *cluster) stop() {
	if c == nil {
		return
	}
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err == nil {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	}
	if c.watchdog != nil {
		c.watchdog.Process.Kill()
		c.watchdog.Wait()
	}
	c.remove()
}

func (c *cluster) remove() { os.RemoveAll(c.dir) }

// sweepStale stops and removes clusters left by test binaries that are
// gone (a machine crash; the watchdog handles a killed binary).
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		pid, err := readPID(filepath.Join(dir, "owner.pid"))
		if err != nil {
			if info, err := os.Stat(dir); err == nil && time.Since(info.ModTime()) > time.Hour {
				os.RemoveAll(dir) // never finished starting
			}
			continue
		}
		if err := syscall.Kill(pid, 0); pid == os.Getpid() || err == nil || errors.Is(err, syscall.EPERM) {
			continue // its owner lives
		}
		if bin, err := findBin(); err == nil {
			stale := &cluster{bin: bin, dir: dir}
			if os.Geteuid() == 0 {
				stale.asUser = "postgres"
			}
			stale.stop()
		} else {
			os.RemoveAll(dir)
		}
	}
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// freePort is a TCP port free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
