package main

import (
	"os"
	"strings"
	"testing"
)

// The systemd unit in deploy/ is what the README tells operators to
// install: its command line must be one the server takes, with the
// settings a deployment behind a TLS proxy needs.
func TestDeployUnitCommandLineIsValid(t *testing.T) {
	unit, err := os.ReadFile("deploy/teamsecrets.service")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for line := range strings.Lines(string(unit)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart="); ok {
			args = strings.Fields(rest)[1:] // after the binary
		}
	}
	if args == nil {
		t.Fatal("no ExecStart in deploy/teamsecrets.service")
	}
	c, rest, err := findCommand(args)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := parseConfig(c, rest)
	if err != nil {
		t.Fatalf("the unit's command line is refused: %v", err)
	}
	if !cfg.TrustProxy || !cfg.SecureCookies || cfg.MetricsAddr == "" || !strings.HasPrefix(cfg.MetricsAddr, "127.0.0.1:") {
		t.Fatalf("behind a TLS proxy the unit needs --trust-proxy, --secure-cookies and a private --metrics-addr: %+v", cfg)
	}
	if strings.Contains(string(unit), "TEAMSECRETS_MASTER_KEY=") || strings.Contains(string(unit), "postgres://") {
		t.Fatal("the unit holds a secret; they belong in its EnvironmentFile")
	}
}
