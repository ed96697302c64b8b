package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"teamsecrets/localapi/store"
)

// foldASCII is the list order's key: A-Z folded to a-z, nothing else.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// listOrder is the order every backend lists names in: ASCII
// case-insensitive, ties by bytes (SQLite's NOCASE folds to lower case, so
// '_' and '`' sort before letters).
func listOrder(a, b string) int {
	if c := strings.Compare(foldASCII(a), foldASCII(b)); c != 0 {
		return c
	}
	return bytes.Compare([]byte(a), []byte(b))
}

// testNameOrderMixed: names of mixed case, punctuation and non-ASCII
// letters come in the one order, computed here, on every backend and in
// every list (a database's linguistic collation would ignore punctuation
// or fold Ä; folding to upper case would put '_' after letters).
func testNameOrderMixed(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	names := []string{"ab", "a-c", "A-B", "a_b", "aB", "Ab", "_z", "`x", "[y", "Z_", "z", "zz", "ä1", "Ä2", "a.b",
		"a1", "A10", "a2", "é", "E", "e", "0", "~", "AB", "a", "A"}
	many := map[string][]byte{}
	for _, n := range names {
		many[n] = []byte("x")
	}
	must(t, b.PutSealedMany(ctx, nil, alpha.ID, "", many))
	want := slices.Clone(names)
	slices.SortFunc(want, listOrder)

	got, err := b.SecretNames(ctx, alpha.ID)
	must(t, err)
	if !slices.Equal(got, want) {
		t.Fatalf("SecretNames =\n%q\nwant\n%q", got, want)
	}
	page, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Limit: 100})
	must(t, err)
	if !slices.Equal(metaNames(page), want) {
		t.Fatalf("SecretMetas by name =\n%q\nwant\n%q", metaNames(page), want)
	}
	page, err = b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Limit: 100, Desc: true})
	must(t, err)
	desc := slices.Clone(want)
	slices.Reverse(desc)
	if !slices.Equal(metaNames(page), desc) {
		t.Fatalf("SecretMetas by name, descending =\n%q", metaNames(page))
	}
	// Pages fit together in the same order.
	var paged []string
	for off := 0; off < len(names); off += 4 {
		p, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Limit: 4, Offset: off})
		must(t, err)
		paged = append(paged, metaNames(p)...)
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("pages of 4 =\n%q", paged)
	}

	// Search folds ASCII only: "ä" finds ä1, not Ä2; "A" finds every a and A.
	for search, wantN := range map[string]int{"ä": 1, "Ä": 1, "é": 1, "-": 2, "AB": 4, "a": countFolded(names, "a"), "_": 3} {
		n, err := b.SecretMatches(ctx, alpha.ID, search)
		must(t, err)
		if n != wantN {
			t.Errorf("SecretMatches(%q) = %d, want %d", search, n, wantN)
		}
	}
}

func countFolded(names []string, sub string) int {
	n := 0
	for _, s := range names {
		if strings.Contains(foldASCII(s), foldASCII(sub)) {
			n++
		}
	}
	return n
}
