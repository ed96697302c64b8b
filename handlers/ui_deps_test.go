package handlers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The UI reaches the API only through cloud/, whose client cannot read a
// value: no package the UI is built from is bridge/ (which can), and the
// Import page writes through cloud/ alone.
func TestUIIsNotBuiltWithTheValuesClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "teamsecrets/handlers").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !strings.Contains(string(out), "teamsecrets/importer") {
		t.Fatalf("unexpected dependency list: %v", deps)
	}
	for _, d := range deps {
		if d == "teamsecrets/bridge" {
			t.Fatal("the UI is built with teamsecrets/bridge, which reads secret values")
		}
	}
}
