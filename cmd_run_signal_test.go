//go:build linux || darwin

package main

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitForSignal is the command's side of the signal tests: it says "ready"
// and waits. In mode "signal" it catches the forwarded signals and reports
// which came (exit 42); in mode "die" it lets SIGTERM end it.
func waitForSignal(mode, report string) {
	sigs := make(chan os.Signal, 1)
	if mode == "signal" {
		signal.Notify(sigs, forwardedSignals...)
	}
	os.WriteFile(report, []byte("ready"), 0o600)
	select {
	case s := <-sigs:
		os.WriteFile(report, []byte("got "+s.String()), 0o600)
		os.Exit(42)
	case <-time.After(20 * time.Second):
		os.Exit(98)
	}
}

// startRunProcess starts `teamsecrets run -- <test binary> MODE REPORT` as
// its own process, in a new session (no terminal), and waits until the
// command is ready.
func startRunProcess(t *testing.T, mode string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report")
	cmd := exec.Command(os.Args[0], "run", "--", os.Args[0], testChildFlag, mode, report)
	cmd.Env = append(os.Environ(), "TEAMSECRETS_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, _ := os.ReadFile(report); string(b) == "ready" {
			return cmd, report, &out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not start: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("run did not exit")
	}
	return cmd.ProcessState.ExitCode()
}

func TestRunForwardsSignalsAndReturnsTheExitCode(t *testing.T) {
	startRunEnv(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, report, out := startRunProcess(t, "signal")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, cmd); code != 42 {
				t.Fatalf("run exited %d: %s", code, out.String())
			}
			if b, _ := os.ReadFile(report); string(b) != "got "+sig.String() {
				t.Fatalf("the command reported %q", b)
			}
		})
	}
	t.Run("command killed by the signal", func(t *testing.T) {
		cmd, _, out := startRunProcess(t, "die")
		cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd); code != 128+int(syscall.SIGTERM) {
			t.Fatalf("run exited %d, want 143: %s", code, out.String())
		}
		if strings.Contains(out.String(), "CANARY") {
			t.Fatal("output holds a value")
		}
	})
}
