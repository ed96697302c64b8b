package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// When --addr is taken the start fails before anything is made: no store,
// no data directory, no first key printed for a server that never ran.
// The next start, on a free port, prints the first key.
func TestPortInUseCreatesNoStoreAndPrintsNoKey(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	t.Setenv("TEAMSECRETS_BOOTSTRAP_KEY", "")
	dir := filepath.Join(t.TempDir(), "data")
	for _, cmd := range []string{"", "api"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(strings.Fields(cmd), "--addr", busy.Addr().String(), "--data-dir", dir), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "address already in use") || !strings.Contains(stderr.String(), "--addr") {
			t.Fatalf("%q: exit %d, stderr %q", cmd, code, stderr.String())
		}
		if stdout.Len() > 0 {
			t.Fatalf("%q printed %q", cmd, stdout.String())
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%q: the data directory was created: %v", cmd, err)
		}
	}
	// A taken --metrics-addr stops the start as early, naming that flag.
	for _, cmd := range []string{"", "api"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(strings.Fields(cmd), "--addr", "127.0.0.1:0", "--metrics-addr", busy.Addr().String(), "--data-dir", dir), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "address already in use") || !strings.Contains(stderr.String(), "--metrics-addr") || stdout.Len() > 0 {
			t.Fatalf("%q --metrics-addr: exit %d, stdout %q, stderr %q", cmd, code, stdout.String(), stderr.String())
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%q --metrics-addr: the data directory was created: %v", cmd, err)
		}
	}
	// The next start, on a free port, is the first: it prints the key.
	stdout, stop := serveInProcess(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	stop()
	if !regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).MatchString(stdout) {
		t.Fatalf("the next start printed no key: %s", stdout)
	}
}

// An unusable certificate stops the start as early as a taken port; a
// usable one serves HTTPS.
func TestTLSCertificateIsLoadedBeforeAnythingIsCreated(t *testing.T) {
	t.Setenv("TEAMSECRETS_BOOTSTRAP_KEY", "")
	dir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", dir,
		"--tls-cert", filepath.Join(t.TempDir(), "missing.pem"), "--tls-key", filepath.Join(t.TempDir(), "missing.key")}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--tls-cert and --tls-key") || stdout.Len() > 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the data directory was created: %v", err)
	}

	cert, key := selfSignedCert(t)
	out, stop := serveInProcess(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--tls-cert", cert, "--tls-key", key)
	defer stop()
	base := listenRE.FindStringSubmatch(out)[1]
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("not served over TLS: %s", out)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("healthz over TLS: %v", err)
	}
	res.Body.Close()
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key, and
// returns their paths.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

// serveInProcess runs the server with args in this process and returns
// once it listens, with what it printed so far and a function that stops
// it and fails the test unless it exits 0.
func serveInProcess(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &syncWriter{w: &out}, io.Discard) }()
	stop := func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%q exited %d", args, code)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !listenRE.MatchString(readSync(&out)); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("%q exited %d: %s", args, code, readSync(&out))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%q did not start: %s", args, readSync(&out))
		}
	}
	return readSync(&out), stop
}

// SIGHUP, SIGTERM and SIGINT stop the server gracefully: it logs that it
// is shutting down and why, takes no new connections, finishes the request
// in flight, logs "stopped" and exits 0.
func TestSignalsDrainRequestsInFlight(t *testing.T) {
	if signal.Ignored(syscall.SIGHUP) {
		t.Skip("SIGHUP is ignored here (nohup?), and so by the server started from here")
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			c := startChild(t, t.TempDir(), "--addr", "127.0.0.1:0")
			exited := make(chan struct{})
			go func() { c.cmd.Wait(); close(exited) }()
			t.Cleanup(func() { c.cmd.Process.Kill(); <-exited }) // before startChild's: one Wait at a time

			// A request in flight: its body is half sent.
			addr := strings.TrimPrefix(c.url, "http://")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"query":"{ secret_names }"}`
			fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, childAdminKey, len(body), body[:10])
			time.Sleep(100 * time.Millisecond)

			if err := c.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(c.logs(), `msg="shutting down"`); {
				select {
				case <-exited:
					t.Fatalf("%v ended the server at once: %s", sig, c.logs())
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("no shutting down line: %s", c.logs())
				}
			}
			if want := `cause="` + sig.String() + ` signal received"`; !strings.Contains(c.logs(), want) {
				t.Errorf("the shutting down line does not say %s: %s", want, c.logs())
			}
			for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if c, err := net.Dial("tcp", addr); err != nil {
					break
				} else {
					c.Close()
				}
				if time.Now().After(deadline) {
					t.Fatal("the stopping server still accepts connections")
				}
			}

			io.WriteString(conn, body[10:])
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("the request in flight got no answer: %v; %s", err, c.logs())
			}
			answer, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || !strings.Contains(string(answer), `"secret_names":[]`) {
				t.Fatalf("the request in flight: %d %s", res.StatusCode, answer)
			}
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				t.Fatal("the server did not exit after its last request")
			}
			if code := c.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(c.logs(), `msg=stopped`) {
				t.Fatalf("exit %d: %s", code, c.logs())
			}
		})
	}
}

// A second signal while requests are still in flight stops the server at
// once.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	c := startChild(t, t.TempDir(), "--addr", "127.0.0.1:0")
	exited := make(chan struct{})
	go func() { c.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { c.cmd.Process.Kill(); <-exited })
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{") // never finished
	time.Sleep(100 * time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGTERM)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(c.logs(), `msg="shutting down"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no shutting down line: %s", c.logs())
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Fatal("a second SIGTERM did not stop the server at once")
	}
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("the server ended with %v, not by SIGTERM", c.cmd.ProcessState)
	}
}

// Started under nohup (SIGHUP ignored), the server keeps ignoring SIGHUP,
// so it outlives the terminal it was started from.
func TestSIGHUPStaysIgnoredUnderNohup(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	// sh's `trap "" HUP` ignores SIGHUP, and exec keeps it ignored.
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" "$@"`, os.Args[0], "--addr", "127.0.0.1:0")
	c := startChildCmd(t, cmd, t.TempDir())
	if err := c.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	res, err := http.Get(c.url + "/healthz")
	if err != nil || res.StatusCode != 200 || strings.Contains(c.logs(), "shutting down") {
		t.Fatalf("SIGHUP under nohup stopped the server: %v %s", err, c.logs())
	}
	res.Body.Close()
}
