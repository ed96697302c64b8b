package localapi

import (
	"testing"
)

func TestParsePlainNames(t *testing.T) {
	tests := []struct {
		query, name string
		plain       bool
	}{
		{`query { secret_names }`, "", true},
		{`{ secret_names }`, "", true},
		{`query TenantSecretNames { secret_names }`, "TenantSecretNames", true},
		{"# comment\nquery ListSecretNames {\n  secret_names\n}\n", "ListSecretNames", true},
		{`query { secret_names: secret_names }`, "", true},
		{`query { names: secret_names }`, "", false},
		{`query { secret_names @include(if: true) }`, "", false},
		{`query { secret_names api { version } }`, "", false},
		{`query($x: Int) { secret_names }`, "", false},
		{`query { ...F } fragment F on query_root { secret_names }`, "", false},
		{`mutation { secret_names }`, "", false},
		{`query A { secret_names } query B { secret_names }`, "", false},
		{`query { secret_names(x: 1) }`, "", false},
		{`query { secret_names { a } }`, "", false},
		{`query { secret_names`, "", false},
	}
	for _, tt := range tests {
		name, plain := parsePlainNames(tt.query)
		if plain != tt.plain || name != tt.name {
			t.Errorf("%q: got (%q, %v), want (%q, %v)", tt.query, name, plain, tt.name, tt.plain)
		}
	}
	var c plainNamesCache
	if !c.match(`query TenantSecretNames { secret_names }`, "TenantSecretNames") ||
		c.match(`query TenantSecretNames { secret_names }`, "Other") ||
		!c.match(`query TenantSecretNames { secret_names }`, "") {
		t.Fatal("operation name check")
	}
}
