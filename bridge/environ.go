package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// EnvPrefix starts the environment variables Prefect 1.x reads secrets
// from: PREFECT__CONTEXT__SECRETS__<NAME>, the name's case kept.
const EnvPrefix = "PREFECT__CONTEXT__SECRETS__"

// EnvName is the variable that carries a secret, or false when the name
// cannot be one that Prefect reads back as this secret: only letters,
// digits and '_' fit, and no "__", which Prefect splits into nested keys
// (PREFECT__CONTEXT__SECRETS__A__B is secret A, a table holding B).
func EnvName(name string) (string, bool) {
	if name == "" || strings.Contains(name, "__") {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", false
		}
	}
	return EnvPrefix + name, true
}

// SecretName is the secret an environment variable sets for Prefect, if
// any. Prefect matches "PREFECT__" exactly and "CONTEXT__SECRETS__" in any
// case, and keeps the case of the rest.
func SecretName(variable string) (string, bool) {
	const prefect, section = "PREFECT__", "CONTEXT__SECRETS__"
	rest, ok := strings.CutPrefix(variable, prefect)
	if !ok || len(rest) <= len(section) || !strings.EqualFold(rest[:len(section)], section) {
		return "", false
	}
	return rest[len(section):], true
}

// ErrNotEnvText means a value cannot be put in an environment variable: it
// holds a NUL character.
var ErrNotEnvText = errors.New("the value holds a NUL character, which no environment variable can")

// EnvText is the text that makes Prefect's Secret.get() return what it
// returns for the stored value under Prefect Cloud. Secret.get() json-loads
// local text, so a JSON string goes in as its own text (quotes and escapes
// removed) and any other JSON value as its compact JSON text.
func EnvText(value json.RawMessage) (string, error) {
	var text string
	if v := bytes.TrimSpace(value); len(v) > 0 && v[0] == '"' {
		if err := json.Unmarshal(v, &text); err != nil {
			return "", errors.New("the value is not valid JSON")
		}
	} else {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil || buf.Len() == 0 {
			return "", errors.New("the value is not valid JSON")
		}
		text = buf.String()
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "", ErrNotEnvText
	}
	return text, nil
}

// Plan is what run does with each of a team's secrets, decided from the
// names alone, before any value is read.
type Plan struct {
	Set     []string // read and set in the environment
	Local   []string // set locally already: left as they are (local first, as Prefect resolves)
	NotEnv  []string // names that cannot be environment variables
	Missing []string // asked for with --only, but neither in the team nor set locally
}

// NewPlan decides. only, when not empty, limits the secrets to those names;
// local holds the names set locally; override replaces them anyway.
func NewPlan(teamNames, only []string, local map[string]bool, override bool) Plan {
	var p Plan
	names := teamNames
	if len(only) > 0 {
		names = nil
		for _, n := range only {
			switch {
			case slices.Contains(names, n):
			case slices.Contains(teamNames, n):
				names = append(names, n)
			case local[n]:
				p.Local = append(p.Local, n)
			default:
				p.Missing = append(p.Missing, n)
			}
		}
	}
	for _, n := range names {
		switch _, ok := EnvName(n); {
		case !ok:
			p.NotEnv = append(p.NotEnv, n)
		case local[n] && !override:
			p.Local = append(p.Local, n)
		default:
			p.Set = append(p.Set, n)
		}
	}
	return p
}

// LocalNames are the secrets the environment sets for Prefect.
func LocalNames(environ []string) map[string]bool {
	local := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if name, ok := SecretName(k); ok {
			local[name] = true
		}
	}
	return local
}

// Environ returns environ with each secret set as PREFECT__CONTEXT__SECRETS__<NAME>
// (every other spelling of that variable removed, so the one set wins)
// and without the variables in drop, e.g. the API key the child has no use
// for. texts maps names to EnvText results.
func Environ(environ []string, texts map[string]string, drop ...string) []string {
	out := make([]string, 0, len(environ)+len(texts))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(drop, k) {
			continue
		}
		if name, ok := SecretName(k); ok {
			if _, replaced := texts[name]; replaced {
				continue
			}
		}
		out = append(out, kv)
	}
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, EnvPrefix+n+"="+texts[n])
	}
	return out
}
