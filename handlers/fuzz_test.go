package handlers

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonErrorRE = regexp.MustCompile(`^The JSON (is not valid\.|(is not valid at|ends too early, at|has extra content after the value, at) line \d+, column \d+\.)$`)

func FuzzParseJSONValue(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `[1, 2`, `"x"`, `12345678901234567890`, `{} {}`, "{\n oops }", ``, `null`, `"\ud800"`, `1e999`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		raw, msg := parseJSONValue(in)
		if msg != "" {
			if raw != nil {
				t.Fatal("both a value and an error")
			}
			// Only fixed templates with numbers: nothing of the input.
			if !jsonErrorRE.MatchString(msg) {
				t.Fatalf("message %q is not one of the fixed templates", msg)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil || !bytes.Equal(want.Bytes(), raw) {
			t.Fatalf("stored %q for input %q", raw, in)
		}
	})
}

func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"q=abc&sort=-name&per_page=20&page=2", "page=-1", "per_page=7", "q=%ff%fe", "q=" + strings.Repeat("a", 2000), "page=99999999999999999999", "q=ÜBER&sort=name"} {
		f.Add(s)
	}
	names := []string{"alpha", "Beta", "gamma.delta", "a/b", "ÜBER", "zeta-1", "_x", "100%"}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q := parseListQuery(v)
		if q.Page < 1 || !slices.Contains(perPages, q.PerPage) || !utf8.ValidString(q.Search) || len(q.Search) > 1020 {
			t.Fatalf("bad query %+v from %q", q, raw)
		}
		p := buildSecretList("team", names, q)
		if p.Page < 1 || p.Page > p.Pages || len(p.Rows) > q.PerPage || p.Matches > p.Total {
			t.Fatalf("bad page %+v", p)
		}
		if p.Matches > 0 && (p.From != (p.Page-1)*q.PerPage+1 || p.To-p.From+1 != len(p.Rows)) {
			t.Fatalf("range %d-%d for %d rows", p.From, p.To, len(p.Rows))
		}
		for _, r := range p.Rows {
			if !strings.Contains(strings.ToLower(r.Name), strings.ToLower(q.Search)) {
				t.Fatalf("row %q does not match %q", r.Name, q.Search)
			}
		}
		for _, u := range []string{p.SortURL, p.PrevURL, p.NextURL} {
			if u == "" {
				continue
			}
			parsed, err := url.Parse(u)
			if err != nil {
				t.Fatalf("bad URL %q", u)
			}
			if back := parseListQuery(parsed.Query()); back.Search != q.Search || back.PerPage != q.PerPage {
				t.Fatalf("URL %q loses the query %+v", u, q)
			}
		}
	})
}

func FuzzPathSegment(f *testing.F) {
	for _, s := range []string{"a/b", "100%", "what?", "#x", "a b", ".", "..", "ü", "%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		seg := pathSegment(name)
		if strings.ContainsAny(seg, "/?#% ") && !strings.Contains(seg, "%") {
			t.Fatalf("segment %q of %q has path characters", seg, name)
		}
		if strings.ContainsAny(seg, "/?# ") || seg == "." || seg == ".." {
			t.Fatalf("segment %q of %q is not one safe segment", seg, name)
		}
		back, err := url.PathUnescape(seg)
		if err != nil || back != name {
			t.Fatalf("round trip %q -> %q -> %q (%v)", name, seg, back, err)
		}
	})
}
