package handlers

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Whatever a session holds (any number of teams, long names, a flash naming
// two long secrets), its cookie fits in a browser, and it keeps the team in
// use.
func TestSessionCookieFitsWhateverItHolds(t *testing.T) {
	store := newCookieStore(Config{SessionKeys: [][]byte{[]byte("test-session-key-0123456789abcdef0123")}})
	teams := func(n int, name func(int) string) []sessionTeam {
		var ts []sessionTeam
		for i := range n {
			ts = append(ts, sessionTeam{ID: "0b6e4f3c-2f1e-4a34-9d5f-0c6f4d3b2a10", Slug: fmt.Sprintf("data-engineering-%03d", i),
				Name: name(i), Role: "TENANT_ADMIN"})
		}
		return ts
	}
	plain := func(i int) string { return fmt.Sprintf("Data Engineering %03d", i) }
	long := func(int) string { return strings.Repeat("é", 400) }
	hostile := strings.Repeat("\x01\"\\\u2028<", 60)
	longName := strings.Repeat("N", 255)
	wideName := strings.Repeat("名", 255)
	cases := []struct {
		name  string
		user  string
		teams []sessionTeam
		flash string
	}{
		{"1 team", "admin", teams(1, plain), ""},
		{"15 teams", "admin", teams(15, plain), "Signed in as admin."},
		{"200 teams, rename of two long names", "admin", teams(200, plain),
			fmt.Sprintf("Secret %s renamed to %s, with the new value.", flashName(longName), flashName(longName))},
		{"200 teams, wide names", "admin", teams(200, plain),
			fmt.Sprintf("Secret %s renamed to %s, with the new value.", flashName(wideName), flashName(longName))},
		{"escapes in the flash", "admin", teams(20, plain), "Secret " + flashName(hostile) + " deleted."},
		{"long team and user names", strings.Repeat("u", 2000), teams(50, long), "Signed in as " + strings.Repeat("u", 2000) + "."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{ID: newSessionID(), APIKey: "tsk_" + strings.Repeat("k", 43), User: tc.user,
				Created: 1767322800, Seen: 1767322800, Teams: slices.Clone(tc.teams)}
			inUse := tc.teams[len(tc.teams)-1].Slug
			s.Default = inUse // the team in use, wherever it is in the list
			s.Flash = sessionFlash{Kind: "success", Message: tc.flash}
			s.fit()
			data, err := encodeJSON(s)
			if err != nil {
				t.Fatal(err)
			}
			cookie, err := store.Codecs[0].Encode(sessionCookie, map[any]any{"v": string(data)})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(sessionCookie) + 1 + len(cookie); n >= 4096 {
				t.Fatalf("cookie of %d bytes (%d bytes of JSON)", n, len(data))
			}
			if s.Teams[0].Slug != inUse || s.Default != inUse {
				t.Fatal("the team in use was not kept")
			}
			if s.More != (len(s.Teams) < len(tc.teams)) {
				t.Fatalf("More is %v with %d of %d teams kept", s.More, len(s.Teams), len(tc.teams))
			}
			if tc.flash != "" && len(tc.flash) < 600 && s.Flash.Message != tc.flash && !strings.Contains(tc.name, "escapes") {
				t.Fatalf("the flash was cut: %q", s.Flash.Message)
			}
			t.Logf("%d of %d teams kept, %d bytes of JSON, cookie %d bytes", len(s.Teams), len(tc.teams), len(data), len(cookie))
		})
	}
}

// The cookie's JSON is what cookies from before the session had its own
// team and message types hold (they held cloud.Team and views.Flash):
// those cookies still decode, and new ones are written the same way.
func TestSessionCookieJSONIsUnchanged(t *testing.T) {
	const before = `{"i":"c2Vzc2lvbi1pZC0wMTIzNDU2","k":"tsk_key","u":"admin",` +
		`"t":[{"ID":"0b6e4f3c-2f1e-4a34-9d5f-0c6f4d3b2a10","Slug":"ops","Name":"Ops","Role":"READ_ONLY_USER"},` +
		`{"ID":"1c7f5a4d-3a2f-4b45-8e6a-1d7a5e4c3b21","Slug":"default","Name":"Default team","Role":"TENANT_ADMIN"}],` +
		`"m":true,"d":"ops","c":1767322800,"s":1767322860,"f":{"Kind":"success","Message":"Signed in as admin."}}`
	var s session
	if err := json.Unmarshal([]byte(before), &s); err != nil {
		t.Fatal(err)
	}
	want := session{ID: "c2Vzc2lvbi1pZC0wMTIzNDU2", APIKey: "tsk_key", User: "admin",
		Teams: []sessionTeam{
			{ID: "0b6e4f3c-2f1e-4a34-9d5f-0c6f4d3b2a10", Slug: "ops", Name: "Ops", Role: "READ_ONLY_USER"},
			{ID: "1c7f5a4d-3a2f-4b45-8e6a-1d7a5e4c3b21", Slug: "default", Name: "Default team", Role: "TENANT_ADMIN"},
		},
		More: true, Default: "ops", Created: 1767322800, Seen: 1767322860,
		Flash: sessionFlash{Kind: "success", Message: "Signed in as admin."}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("decoded %+v\nwant    %+v", s, want)
	}
	if !s.Teams[0].ReadOnly() || s.Teams[1].ReadOnly() {
		t.Fatal("roles not kept")
	}
	b, err := encodeJSON(&s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != before {
		t.Fatalf("encoded as\n%s\nwas\n%s", b, before)
	}
}
