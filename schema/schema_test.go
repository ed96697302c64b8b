package schema

import (
	"os"
	"testing"
)

// The embedded copy is the top-level schema.graphql, byte for byte.
func TestCopyMatchesTopLevelSchema(t *testing.T) {
	top, err := os.ReadFile("../schema.graphql") // tests run in the package's directory
	if err != nil {
		t.Fatal(err)
	}
	if string(top) != SDL {
		t.Fatal("schema/schema.graphql differs from the top-level schema.graphql: run `go generate ./schema` and commit both")
	}
}
