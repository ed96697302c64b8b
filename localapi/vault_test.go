package localapi

import (
	"bytes"
	"testing"
)

// A value sealed under one key opens under no other, nor in another row;
// the key check opens only under its key, and is no secret's row.
func TestSealedValuesOpenOnlyWithTheirKeyAndRow(t *testing.T) {
	right, _ := newSealer(bytes.Repeat([]byte{1}, 32))
	wrong, _ := newSealer(bytes.Repeat([]byte{2}, 32))
	sealed, err := right.seal("team", "NAME", []byte(`"v"`))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := right.open("team", "NAME", sealed); err != nil || string(plain) != `"v"` {
		t.Fatalf("open: %q, %v", plain, err)
	}
	if _, err := wrong.open("team", "NAME", sealed); err == nil {
		t.Fatal("opened under another key")
	}
	if _, err := right.open("team", "OTHER", sealed); err == nil {
		t.Fatal("opened in another row")
	}
	check, err := right.sealCheck()
	if err != nil {
		t.Fatal(err)
	}
	if !right.opensCheck(check) || wrong.opensCheck(check) || right.opensCheck(sealed) {
		t.Fatal("the key check opens under the wrong key, or a value passes as the check")
	}
	if _, err := right.open("teamsecrets master key check", "", check); err == nil {
		t.Fatal("the key check opens as a secret")
	}
}
