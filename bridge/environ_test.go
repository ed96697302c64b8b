package bridge

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEnvName(t *testing.T) {
	for name, want := range map[string]bool{
		"GITHUB_TOKEN": true, "lower_case": true, "_LEADING": true, "TRAILING_": true, "X1": true, "9LIVES": true,
		"db.password": false, "snowflake-credentials": false, "A__B": false, "__": false, "": false,
		"has space": false, "é": false, "a=b": false, "new\nline": false,
	} {
		v, ok := EnvName(name)
		if ok != want || ok && v != "PREFECT__CONTEXT__SECRETS__"+name {
			t.Errorf("EnvName(%q) = %q, %v", name, v, ok)
		}
	}
}

func TestSecretNameMatchesAsPrefectDoes(t *testing.T) {
	for variable, want := range map[string]string{
		"PREFECT__CONTEXT__SECRETS__TOKEN":     "TOKEN",
		"PREFECT__context__secrets__MixedCase": "MixedCase",
		"PREFECT__CONTEXT__SECRETS__":          "",
		"prefect__CONTEXT__SECRETS__X":         "",
		"PREFECT__CLOUD__API":                  "",
		"PREFECT__CONTEXT__SECRETSX":           "",
	} {
		got, ok := SecretName(variable)
		if got != want || ok != (want != "") {
			t.Errorf("SecretName(%q) = %q, %v", variable, got, ok)
		}
	}
}

// What Secret.get() json-loads back is what Cloud returns: a JSON string
// is its own text, anything else its compact JSON.
func TestEnvText(t *testing.T) {
	for value, want := range map[string]string{
		`"plain text"`:             "plain text",
		`"line\nbreak \"quoted\""`: "line\nbreak \"quoted\"",
		`"{\"looks\": \"json\"}"`:  `{"looks": "json"}`,
		`"123"`:                    "123",
		`""`:                       "",
		`"é \u00e9 \ud83d\ude00"`:  "é é 😀",
		`123`:                      "123",
		`1.50`:                     "1.50",
		`true`:                     "true",
		`null`:                     "null",
		"{ \"a\" : [1, 2],\n \"b\": {\"c\": null} }": `{"a":[1,2],"b":{"c":null}}`,
		`  "padded"  `: "padded",
	} {
		got, err := EnvText(json.RawMessage(value))
		if err != nil || got != want {
			t.Errorf("EnvText(%s) = %q, %v; want %q", value, got, err, want)
		}
	}
	if _, err := EnvText(json.RawMessage(`"nul \u0000 inside"`)); !errors.Is(err, ErrNotEnvText) {
		t.Errorf("NUL: %v", err)
	}
	for _, bad := range []string{``, `{`, `"unterminated`} {
		if _, err := EnvText(json.RawMessage(bad)); err == nil || strings.Contains(err.Error(), bad) && bad != "" {
			t.Errorf("EnvText(%q): %v", bad, err)
		}
	}
}

func TestPlanLocalFirstOnlyAndNotEnv(t *testing.T) {
	team := []string{"A", "B", "db.password", "A__B", "LOCAL"}
	local := map[string]bool{"LOCAL": true, "ONLY_LOCAL": true}
	cases := []struct {
		name     string
		only     []string
		override bool
		want     Plan
	}{
		{"all", nil, false, Plan{Set: []string{"A", "B"}, Local: []string{"LOCAL"}, NotEnv: []string{"db.password", "A__B"}}},
		{"override", nil, true, Plan{Set: []string{"A", "B", "LOCAL"}, NotEnv: []string{"db.password", "A__B"}}},
		{"only", []string{"B", "LOCAL", "ONLY_LOCAL", "NOPE", "B"}, false, Plan{Set: []string{"B"}, Local: []string{"ONLY_LOCAL", "LOCAL"}, Missing: []string{"NOPE"}}},
		{"only not env", []string{"db.password"}, false, Plan{NotEnv: []string{"db.password"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := NewPlan(team, tc.only, local, tc.override)
			if !slices.Equal(got.Set, tc.want.Set) || !slices.Equal(got.Local, tc.want.Local) ||
				!slices.Equal(got.NotEnv, tc.want.NotEnv) || !slices.Equal(got.Missing, tc.want.Missing) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEnvironSetsSecretsDropsTheKeyAndOtherSpellings(t *testing.T) {
	environ := []string{
		"PATH=/bin",
		"TEAMSECRETS_API_KEY=tsk_key",
		"PREFECT__context__secrets__A=old spelling",
		"PREFECT__CONTEXT__SECRETS__KEEP=local",
		"EMPTY=",
	}
	got := Environ(environ, map[string]string{"A": "new", "B": "with=equals"}, "TEAMSECRETS_API_KEY")
	want := []string{"PATH=/bin", "PREFECT__CONTEXT__SECRETS__KEEP=local", "EMPTY=",
		"PREFECT__CONTEXT__SECRETS__A=new", "PREFECT__CONTEXT__SECRETS__B=with=equals"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
	if local := LocalNames(environ); !local["A"] || !local["KEEP"] || len(local) != 2 {
		t.Fatalf("local %v", local)
	}
}
