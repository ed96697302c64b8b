package main

import (
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
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
