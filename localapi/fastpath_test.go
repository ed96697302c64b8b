package localapi

import (
	"fmt"
	"strings"
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
		var name string
		var plain bool
		if d, _ := parseDocument(tt.query, DefaultLimits()); d != nil {
			name, plain = d.plainName, d.plain
		}
		if plain != tt.plain || name != tt.name {
			t.Errorf("%q: got (%q, %v), want (%q, %v)", tt.query, name, plain, tt.name, tt.plain)
		}
	}
	doc, _ := parseDocument(`query TenantSecretNames { secret_names }`, DefaultLimits())
	if !doc.isPlainNames("TenantSecretNames") || doc.isPlainNames("Other") || !doc.isPlainNames("") {
		t.Fatal("operation name check")
	}
}

// The document cache holds short texts only, and stops at its byte budget
// however many distinct texts arrive.
func TestDocumentCacheIsBoundedByBytes(t *testing.T) {
	var c docCache
	for i := 0; i < 20_000; i++ {
		q := fmt.Sprintf("query Q%d { secret_names } # %s", i, strings.Repeat("x", i%400))
		doc, _ := parseDocument(q, DefaultLimits())
		if doc == nil || !doc.isPlainNames("") {
			t.Fatalf("%q is plain", q)
		}
		c.put(q, doc)
	}
	long := "query { secret_names }" + strings.Repeat(" ", maxCachedDocBytes)
	doc, _ := parseDocument(long, DefaultLimits())
	c.put(long, doc)
	if c.bytes > maxDocCacheBytes || c.get(long) != nil {
		t.Fatalf("cache holds %d bytes (budget %d), long query cached: %v", c.bytes, maxDocCacheBytes, c.get(long) != nil)
	}
	var sum int
	for q := range c.docs {
		sum += len(q)
	}
	if sum != c.bytes {
		t.Fatalf("counted %d bytes, holds %d", c.bytes, sum)
	}
}

// Only documents selecting exactly the list page's fields, with arguments
// the fast path reads as graphql-go does, take it.
func TestListPageShape(t *testing.T) {
	const sel = `{ total_count secrets { name created updated updated_by } }`
	for _, tt := range []struct {
		query string
		fast  bool
	}{
		{`query($l: Int!) { secret_list(limit: $l) ` + sel + ` }`, true},
		{`query { a: secret_list(limit: 1) { secrets { updated_by } } b: secret_list(limit: 0) { total_count } }`, true},
		{`query($s: String, $l: Int!) { secret_list(search: $s, limit: $l) { total_count } }`, true},
		{`query { secret_list(limit: 1) ` + sel + ` secret_names }`, false},
		{`query { a: secret_list(limit: 1) { total_count } a: secret_list(limit: 2) { total_count } }`, false},
		{`query { secret_list(offset: 1) { total_count } }`, false},
		{`query($l: Int) { secret_list(limit: $l) { total_count } }`, false},
		{`query($l: Int! = 3) { secret_list(limit: $l) { total_count } }`, false},
		{`query($l: Int!, $x: Int) { secret_list(limit: $l) { total_count } }`, false},
		{`query { secret_list(limit: 1, search: "a") { total_count } }`, false},
		{`query { secret_list(limit: 1, order_by: {name: desc}) { total_count } }`, false},
		{`query { secret_list(limit: 2147483648) { total_count } }`, false},
		{`query { secret_list(limit: 1) { n: total_count } }`, false},
		{`query { secret_list(limit: 1) { total_count total_count } }`, false},
		{`query { secret_list(limit: 1) { secrets { name __typename } } }`, false},
		{`query { secret_list(limit: 1) { secrets } }`, false},
		{`query { secret_list(limit: 1) { ...F } } fragment F on secret_page { total_count }`, false},
		{`query { secret_list(limit: 1) @skip(if: false) { total_count } }`, false},
		{`mutation { secret_list(limit: 1) { total_count } }`, false},
	} {
		doc, err := parseDocument(tt.query, DefaultLimits())
		if err != nil {
			t.Fatalf("%q: %v", tt.query, err)
		}
		if got := doc.list != nil; got != tt.fast {
			t.Errorf("%q: fast path %v, want %v", tt.query, got, tt.fast)
		}
	}
}
