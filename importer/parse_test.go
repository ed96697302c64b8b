package importer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// canary stands for a secret value: no error or reason may hold it.
const canary = "CANARY-0d1e2f3a4b5c"

func byName(t *testing.T, entries []Entry) map[string]Entry {
	t.Helper()
	m := map[string]Entry{}
	for _, e := range entries {
		if _, dup := m[e.Name]; dup {
			t.Fatalf("name %q twice", e.Name)
		}
		m[e.Name] = e
	}
	return m
}

func TestParseTOMLKeepsEveryTypeAsJSON(t *testing.T) {
	src := `
[cloud]
api = "http://localhost:4200/graphql"

[context.secrets]
TEXT = "hello world"
LITERAL = 'C:\path\no escapes'
MULTILINE = """
line one
line two"""
ESCAPES = "tab\tquote\" <html> & unicode é"
INT = 42
NEGATIVE = -17
HEX = 0x10
BIG = 9223372036854775807
FLOAT = 3.0
FRACTION = 0.1
EXPONENT = 6.02e23
NEG_ZERO = -0.0
YES = true
NO = false
ARRAY = [1, "two", 3.5, true, [4, 5]]
EMPTY_ARRAY = []
INLINE = { user = "app", port = 5432 }
OFFSET_TIME = 1979-05-27T07:32:00-07:00
UTC_TIME = 1979-05-27T07:32:00.5Z
LOCAL_DATETIME = 1979-05-27T07:32:00
LOCAL_DATE = 1979-05-27
LOCAL_TIME = 07:32:00
NAN = nan
INF = -inf
"1STARTS_WITH_DIGIT" = "x"
"has space" = "x"

[context.secrets.NESTED]
b = 2
a = { deep = [1.5, "x"] }

[[context.secrets.TABLES]]
name = "first"
[[context.secrets.TABLES]]
name = "second"
`
	entries, err := ParseTOML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, entries)
	want := map[string]string{
		"TEXT":           `"hello world"`,
		"LITERAL":        `"C:\\path\\no escapes"`,
		"MULTILINE":      `"line one\nline two"`,
		"ESCAPES":        `"tab\tquote\" <html> & unicode é"`,
		"INT":            `42`,
		"NEGATIVE":       `-17`,
		"HEX":            `16`,
		"BIG":            `9223372036854775807`,
		"FLOAT":          `3.0`,
		"FRACTION":       `0.1`,
		"EXPONENT":       `6.02e+23`,
		"NEG_ZERO":       `-0.0`,
		"YES":            `true`,
		"NO":             `false`,
		"ARRAY":          `[1,"two",3.5,true,[4,5]]`,
		"EMPTY_ARRAY":    `[]`,
		"INLINE":         `{"port":5432,"user":"app"}`,
		"OFFSET_TIME":    `"1979-05-27T07:32:00-07:00"`,
		"UTC_TIME":       `"1979-05-27T07:32:00.5Z"`,
		"LOCAL_DATETIME": `"1979-05-27T07:32:00"`,
		"LOCAL_DATE":     `"1979-05-27"`,
		"LOCAL_TIME":     `"07:32:00"`,
		"NESTED":         `{"a":{"deep":[1.5,"x"]},"b":2}`,
		"TABLES":         `[{"name":"first"},{"name":"second"}]`,
	}
	for name, value := range want {
		e, ok := got[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if e.Invalid != "" || string(e.Value) != value {
			t.Errorf("%s = %s (invalid: %q), want %s", name, e.Value, e.Invalid, value)
		}
		if !json.Valid(e.Value) {
			t.Errorf("%s: not valid JSON", name)
		}
	}
	invalid := map[string]string{
		"NAN":                "TOML nan and inf have no JSON form",
		"INF":                "TOML nan and inf have no JSON form",
		"1STARTS_WITH_DIGIT": "name must start with a letter or an underscore",
		"has space":          "name may contain only letters, digits, '_', '-' and '.'",
	}
	for name, why := range invalid {
		if e := got[name]; e.Invalid != why || e.Value != nil {
			t.Errorf("%s: invalid %q value %s, want %q", name, e.Invalid, e.Value, why)
		}
	}
	if len(got) != len(want)+len(invalid) {
		t.Errorf("%d entries, want %d", len(got), len(want)+len(invalid))
	}
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Name >= entries[i].Name {
			t.Fatal("entries are not in name order")
		}
	}
}

func TestParseTOMLSecretsTableForms(t *testing.T) {
	for name, src := range map[string]string{
		"table":        "[context.secrets]\nA = \"x\"\n",
		"dotted keys":  "context.secrets.A = \"x\"\n",
		"parent table": "[context]\nsecrets = { A = \"x\" }\n",
	} {
		t.Run(name, func(t *testing.T) {
			entries, err := ParseTOML([]byte(src))
			if err != nil || len(entries) != 1 || entries[0].Name != "A" || string(entries[0].Value) != `"x"` {
				t.Fatalf("%v %+v", err, entries)
			}
		})
	}
}

func TestParseTOMLErrorsSayWhereNeverWhat(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
	}{
		{"unclosed string", "[context.secrets]\nA = \"ok\"\nB = \"" + canary + "\n", 3},
		{"bare word", "[context.secrets]\n\nB = " + canary + "\n", 3},
		{"duplicate key", "[context.secrets]\nA = \"" + canary + "\"\nA = \"" + canary + "\"\n", 3},
		{"unclosed array", "[context.secrets]\nA = [1, \"" + canary + "\"\n\n", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTOML([]byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Fatalf("the error quotes the input: %v", err)
			}
		})
	}
	if _, err := ParseTOML([]byte("[cloud]\napi = \"x\"\n")); err != ErrNoSecretsTable {
		t.Fatalf("no secrets table: %v", err)
	}
}

func TestParseDotEnvVariants(t *testing.T) {
	src := "# a comment\r\n" +
		"PLAIN=value\r\n" +
		"export EXPORTED=exported value\n" +
		"SPACED = around equals  \n" +
		"DOUBLE=\"double # not a comment\"\n" +
		"SINGLE='single \\n stays'\n" +
		"ESCAPED=\"line\\nbreak\"\n" +
		"MULTI=\"first\nsecond\"\n" +
		"INLINE_COMMENT=value # dropped\n" +
		"HASH=value#kept\n" +
		"EMPTY=\n" +
		"QUOTED_EMPTY=\"\"\n" +
		"JSON_TEXT={\"a\": 1}\n" +
		"YAML: style\n" +
		"PREFECT__CONTEXT__SECRETS__FROM_PREFIX=prefixed\n" +
		"prefect__context__secrets__lower_prefix=any case\n" +
		"DOLLAR_LOWER=pa$sword\n" +
		"DOLLAR_DOUBLE=pa$$word\n" +
		"DOLLAR_ALONE=cost $ 5\n" +
		"DOLLAR_SINGLE='pa$SWORD'\n" +
		"DOLLAR_ESCAPED=\"pa\\$SWORD\"\n" +
		"DOLLAR_ESCAPED_BARE=pa\\$SWORD\n" +
		"DOLLAR_EXPANDS=pa$SWORD\n" +
		"DOLLAR_BRACES=\"${PLAIN}/x\"\n" +
		"QUOTE_AT_END=\"ends with \\\"quote\\\"\"\n" +
		"BACKSLASH_AT_END=\"C:\\\\\"\n" +
		"AFTER_BACKSLASH=still here\n" +
		"DUP=first\n" +
		"DUP=second\n" +
		"1BAD=x\n" +
		"dotted.name=ok\n"
	entries, err := ParseDotEnv([]byte("\uFEFF" + src))
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, entries)
	want := map[string]string{
		"PLAIN":            "value",
		"EXPORTED":         "exported value",
		"SPACED":           "around equals",
		"DOUBLE":           "double # not a comment",
		"SINGLE":           `single \n stays`,
		"ESCAPED":          "line\nbreak",
		"MULTI":            "first\nsecond",
		"INLINE_COMMENT":   "value",
		"HASH":             "value#kept",
		"EMPTY":            "",
		"QUOTED_EMPTY":     "",
		"JSON_TEXT":        `{"a": 1}`,
		"YAML":             "style",
		"FROM_PREFIX":      "prefixed",
		"lower_prefix":     "any case",
		"DOLLAR_ALONE":     "cost $ 5",
		"DOLLAR_SINGLE":    "pa$SWORD",
		"DOLLAR_ESCAPED":   "pa$SWORD",
		"QUOTE_AT_END":     `ends with "quote"`,
		"BACKSLASH_AT_END": `C:\`,
		"AFTER_BACKSLASH":  "still here",
		"DUP":              "second",
		"dotted.name":      "ok",
	}
	for name, text := range want {
		e, ok := got[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		var s string
		if e.Invalid != "" || json.Unmarshal(e.Value, &s) != nil || s != text {
			t.Errorf("%s = %s (invalid %q), want text %q", name, e.Value, e.Invalid, text)
		}
	}
	for name, why := range map[string]string{
		"DOLLAR_EXPANDS":      "$NAME",
		"DOLLAR_BRACES":       "$NAME",
		"DOLLAR_LOWER":        "$NAME",
		"DOLLAR_DOUBLE":       "$NAME",
		"DOLLAR_ESCAPED_BARE": "$NAME",
		"1BAD":                "name must start with a letter or an underscore",
	} {
		if e := got[name]; !strings.Contains(e.Invalid, why) || e.Value != nil {
			t.Errorf("%s: invalid %q, want it to mention %q", name, e.Invalid, why)
		}
	}
	if len(got) != len(want)+6 {
		t.Errorf("%d entries, want %d", len(got), len(want)+6)
	}
}

func TestParseDotEnvErrorsSayWhereNeverWhat(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
	}{
		{"unterminated quote", "A=1\nB=2\nC=\"" + canary + "\nD=4\n", 3},
		{"value without a key", "A=1\n" + canary + "-x\nB=2\n", 2},
		{"exported value without a key", "A=1\n\nexport " + canary + "\n", 3},
		{"text after the quotes", "A=1\nB=\"x\"" + canary + "\n", 0},
		{"bad character in key", "A=1\n\nB!C=" + canary + "\n", 3},
		{"space in key", "A=1\nB C=" + canary + "\n", 2},
		{"bad reference", "A=1\nB=${" + canary + "\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDotEnv([]byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Fatalf("the error quotes the input: %v", err)
			}
		})
	}
}

func TestParseEnvironReadsPrefectSecretsOnly(t *testing.T) {
	environ := []string{
		"HOME=/root",
		"PREFECT__CONTEXT__SECRETS__TOKEN=" + canary,
		"PREFECT__context__secrets__MixedCase={\"a\": 1}",
		"PREFECT__CONTEXT__SECRETS__EMPTY=",
		"PREFECT__CONTEXT__SECRETS__A__B=nested",
		"PREFECT__CONTEXT__SECRETS__=no name",
		"PREFECT__CLOUD__API=http://x",
		"prefect__CONTEXT__SECRETS__IGNORED=prefix case matters",
		"PREFECT__CONTEXT__SECRETS__WITH_EQUALS=a=b",
	}
	got := byName(t, ParseEnviron(environ))
	want := map[string]string{"TOKEN": canary, "MixedCase": `{"a": 1}`, "EMPTY": "", "WITH_EQUALS": "a=b"}
	for name, text := range want {
		var s string
		if e := got[name]; e.Invalid != "" || json.Unmarshal(e.Value, &s) != nil || s != text {
			t.Errorf("%s = %s (invalid %q), want text %q", name, e.Value, e.Invalid, text)
		}
	}
	if e := got["A__B"]; !strings.Contains(e.Invalid, "nested key") {
		t.Errorf("A__B: %+v", e)
	}
	if e := got[""]; e.Invalid != "name is required" {
		t.Errorf("empty name: %+v", e)
	}
	if len(got) != len(want)+2 {
		t.Errorf("%d entries: %+v", len(got), got)
	}
}

func TestDetectFormat(t *testing.T) {
	cases := []struct {
		file, text string
		want       Format
	}{
		{"config.toml", "A=1", FormatTOML},
		{"/home/x/.prefect/CONFIG.TOML", "", FormatTOML},
		{".env", "[context.secrets]", FormatDotEnv},
		{"prod.env", "", FormatDotEnv},
		{".env.local", "", FormatDotEnv},
		{"", "# secrets\n[context.secrets]\nA = 1\n", FormatTOML},
		{"", "  [context.secrets", FormatTOML},
		{"", "context.secrets.A = \"x\"\n", FormatTOML},
		{"", "A=1\nB=\"two\"\n", FormatDotEnv},
		{"secrets.txt", "export A=1\n", FormatDotEnv},
	}
	for _, tc := range cases {
		if got := Detect(tc.file, []byte(tc.text)); got != tc.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", tc.file, tc.text, got, tc.want)
		}
	}
}

func TestMergeTakesTheLastSource(t *testing.T) {
	a := []Entry{{Name: "X", Value: json.RawMessage(`1`)}, {Name: "Y", Value: json.RawMessage(`1`)}}
	b := []Entry{{Name: "X", Value: json.RawMessage(`2`)}}
	got := Merge(a, b)
	if len(got) != 2 || got[0].Name != "X" || string(got[0].Value) != "2" || got[1].Name != "Y" {
		t.Fatalf("%+v", got)
	}
}

func TestValuesOverTheLimitAreInvalid(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	entries, err := ParseDotEnv([]byte("BIG=" + big + "\nOK=" + big[:1000] + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, entries)
	if !strings.Contains(got["BIG"].Invalid, "64 KiB") || got["OK"].Invalid != "" {
		t.Fatalf("%+v", got)
	}
}
