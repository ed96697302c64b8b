package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
)

// A stored value must never come back: not in any page, header or log line,
// on any route, error paths included.
func TestCanaryValueNeverLeavesTheServer(t *testing.T) {
	u := uitest.Start(t)
	const canary = "CANARY-9f8e7d6c5b4a-VALUE"
	jsonCanary := `{"token": "` + canary + `"}`

	type step struct {
		name string
		do   func() uitest.Page
	}
	var seen []uitest.Page
	run := func(s step) {
		p := s.do()
		seen = append(seen, p)
		if strings.Contains(p.Body, canary) {
			t.Errorf("%s: body holds the value", s.name)
		}
		for k, vs := range p.Header {
			for _, v := range vs {
				if strings.Contains(v, canary) {
					t.Errorf("%s: header %s holds the value", s.name, k)
				}
			}
		}
	}
	post := func(path string, form url.Values) func() uitest.Page {
		return func() uitest.Page { return u.Post(path, form) }
	}
	get := func(path string) func() uitest.Page { return func() uitest.Page { return u.Get(path) } }

	steps := []step{
		{"login page", get("/login")},
		{"login with the canary as key", post("/login", url.Values{"key": {canary}})},
		{"login", func() uitest.Page { return u.Login(u.Env.AdminKey) }},
		{"home", get("/")},
		{"all teams", get("/teams")},
		{"add form", get("/teams/default/secrets/new")},
		{"add", post("/teams/default/secrets", url.Values{"name": {"CANARY"}, "value": {canary}})},
		{"add json", post("/teams/default/secrets", url.Values{"name": {"CANARY_JSON"}, "value": {jsonCanary}, "type": {"json"}})},
		{"list", get("/teams/default/secrets")},
		{"list with flash", get("/teams/default/secrets?q=CANARY&sort=-name&per_page=20")},
		{"add existing (conflict)", post("/teams/default/secrets", url.Values{"name": {"CANARY"}, "value": {canary}})},
		{"add invalid name", post("/teams/default/secrets", url.Values{"name": {"1INVALID"}, "value": {canary}})},
		{"add bad json", post("/teams/default/secrets", url.Values{"name": {"J"}, "value": {canary + "{"}, "type": {"json"}})},
		{"add oversized", post("/teams/default/secrets", url.Values{"name": {"BIG"}, "value": {strings.Repeat(canary, 3000)}})},
		{"rotate form", get("/teams/default/secrets/CANARY/rotate")},
		{"rotate bad json", post("/teams/default/secrets/CANARY/rotate", url.Values{"value": {canary + "]"}, "type": {"json"}})},
		{"rotate invalid new name", post("/teams/default/secrets/CANARY/rotate", url.Values{"value": {canary}, "new_name": {"bad name"}})},
		{"rotate conflict", post("/teams/default/secrets/CANARY/rotate", url.Values{"value": {canary}, "new_name": {"CANARY_JSON"}})},
		{"rotate", post("/teams/default/secrets/CANARY/rotate", url.Values{"value": {canary}})},
		{"rename", post("/teams/default/secrets/CANARY/rotate", url.Values{"value": {canary}, "new_name": {"CANARY2"}})},
		{"rotate missing", get("/teams/default/secrets/CANARY/rotate")},
		{"delete form", get("/teams/default/secrets/CANARY2/delete")},
		{"not found page", get("/teams/default/secrets/nothing/here")},
		{"unknown team", get("/teams/nope/secrets")},
		{"api down: list", func() uitest.Page {
			u.Proxy.Set(uitest.FailAll(502, "bad gateway"))
			defer u.Proxy.Set(nil)
			return u.Get("/teams/default/secrets")
		}},
		{"api down: add", func() uitest.Page {
			u.Proxy.Set(uitest.FailAll(500, `{"errors":[{"message":"x"}]}`))
			defer u.Proxy.Set(nil)
			return u.Post("/teams/default/secrets", url.Values{"name": {"DOWN"}, "value": {canary}})
		}},
		{"api down: rotate", func() uitest.Page {
			u.Proxy.Set(uitest.FailOp("SetSecret", 503, ""))
			defer u.Proxy.Set(nil)
			return u.Post("/teams/default/secrets/CANARY2/rotate", url.Values{"value": {canary}})
		}},
		{"api fails delete during rename", func() uitest.Page {
			u.Proxy.Set(uitest.FailOp("DeleteSecret", 500, ""))
			defer u.Proxy.Set(nil)
			return u.Post("/teams/default/secrets/CANARY2/rotate", url.Values{"value": {canary}, "new_name": {"CANARY3"}})
		}},
		{"delete", post("/teams/default/secrets/CANARY3/delete", nil)},
		{"static css", get("/static/app.css")},
		{"logout", post("/logout", nil)},
		{"after logout", get("/teams/default/secrets")},
	}
	for _, s := range steps {
		run(s)
	}
	if v, ok := u.Value(u.Env.AdminKey, "", "CANARY2"); !ok || !strings.Contains(v, canary) {
		t.Fatalf("the canary was not stored, so the test proves nothing (%q)", v)
	}
	logs := u.Logs.String()
	if !strings.Contains(logs, "msg=request") {
		t.Fatal("no request logs captured")
	}
	for what, secret := range map[string]string{"value": canary, "api key": u.Env.AdminKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
	for _, p := range seen {
		for _, c := range p.Header.Values("Set-Cookie") {
			name, val, _ := strings.Cut(strings.SplitN(c, ";", 2)[0], "=")
			if len(val) > 8 && strings.Contains(logs, val) {
				t.Errorf("the log holds cookie %s", name)
			}
		}
	}
	if len(seen) != len(steps) {
		t.Fatal("not every route was requested")
	}
}
