package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"teamsecrets/localapi/store"
)

func metaNames(ms []store.SecretMeta) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// testSecretMetas: created stays, updated and updated-by follow each
// write; pages come in the asked order, searched, counted, team by team.
func testSecretMetas(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	before := time.Now().UTC().Add(-time.Second)
	for _, n := range []string{"b", "B", "a_2", "A", "Z", "a%b", "ab"} {
		must(t, b.PutSealed(ctx, nil, alpha.ID, n, "alice", []byte("x")))
		time.Sleep(2 * time.Millisecond) // distinct updated times
	}
	must(t, b.PutSealed(ctx, nil, beta.ID, "ONLY_BETA", "carol", []byte("x")))
	first, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Search: "A", Limit: 1})
	must(t, err)
	time.Sleep(2 * time.Millisecond)
	must(t, b.PutSealed(ctx, nil, alpha.ID, "A", "bob", []byte("y")))

	all, err := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Limit: 100})
	must(t, err)
	if want := []string{"A", "a%b", "a_2", "ab", "B", "b", "Z"}; !slices.Equal(metaNames(all), want) {
		t.Fatalf("by name: %q, want %q", metaNames(all), want)
	}
	for _, m := range all {
		if m.Created.Before(before) || m.Updated.Before(m.Created) || m.Created.Location() != time.UTC {
			t.Fatalf("%s: created %v, updated %v", m.Name, m.Created, m.Updated)
		}
		switch {
		case m.Name == "A" && (m.UpdatedBy != "bob" || !m.Created.Equal(first[0].Created) || !m.Updated.After(first[0].Updated)):
			t.Fatalf("A after a rewrite by bob: %+v, first written %+v", m, first[0])
		case m.Name != "A" && m.UpdatedBy != "alice":
			t.Fatalf("%s updated by %q, want alice", m.Name, m.UpdatedBy)
		}
	}
	for _, tc := range []struct {
		q    store.SecretQuery
		want []string
	}{
		{store.SecretQuery{Desc: true, Limit: 3}, []string{"Z", "b", "B"}},
		{store.SecretQuery{Limit: 2, Offset: 5}, []string{"b", "Z"}},
		{store.SecretQuery{Limit: 2, Offset: 50}, []string{}},
		{store.SecretQuery{ByUpdated: true, Desc: true, Limit: 2}, []string{"A", "ab"}},
		{store.SecretQuery{ByUpdated: true, Limit: 2}, []string{"b", "B"}},
		// LIKE's own wildcards are plain characters in a search.
		{store.SecretQuery{Search: "_", Limit: 10}, []string{"a_2"}},
		{store.SecretQuery{Search: "%", Limit: 10}, []string{"a%b"}},
		{store.SecretQuery{Search: "AB", Limit: 10}, []string{"ab"}},
		{store.SecretQuery{Search: "b", Desc: true, Limit: 10}, []string{"b", "B", "ab", "a%b"}},
		{store.SecretQuery{Limit: 0}, []string{}},
	} {
		t.Run(fmt.Sprintf("%+v", tc.q), func(t *testing.T) {
			got, err := b.SecretMetas(ctx, alpha.ID, tc.q)
			must(t, err)
			if !slices.Equal(metaNames(got), tc.want) {
				t.Fatalf("got %q, want %q", metaNames(got), tc.want)
			}
		})
	}
	for search, want := range map[string]int{"": 7, "b": 4, "_": 1, "none": 0} {
		if n, err := b.SecretMatches(ctx, alpha.ID, search); err != nil || n != want {
			t.Fatalf("SecretMatches(%q) = %d, %v; want %d", search, n, err, want)
		}
	}
	if got, _ := b.SecretMetas(ctx, beta.ID, store.SecretQuery{Limit: 100}); !slices.Equal(metaNames(got), []string{"ONLY_BETA"}) || got[0].UpdatedBy != "carol" {
		t.Fatalf("beta: %+v", got)
	}
	// The team's size follows writes (a cache must drop it).
	must(t, b.PutSealedMany(ctx, nil, alpha.ID, "dave", map[string][]byte{"N1": []byte("x"), "N2": []byte("x")}))
	if n, _ := b.SecretMatches(ctx, alpha.ID, ""); n != 9 {
		t.Fatalf("after adding two: %d, want 9", n)
	}
	if ok, _ := b.DeleteSecret(ctx, alpha.ID, "N1"); !ok {
		t.Fatal("delete N1")
	}
	if n, _ := b.SecretCount(ctx, alpha.ID); n != 8 {
		t.Fatalf("after a delete: %d, want 8", n)
	}
	got, _ := b.SecretMetas(ctx, alpha.ID, store.SecretQuery{Search: "N2", Limit: 1})
	if len(got) != 1 || got[0].UpdatedBy != "dave" {
		t.Fatalf("N2: %+v", got)
	}
}
