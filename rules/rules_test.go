package rules

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"GITHUB_TOKEN", nil},
		{"_private", nil},
		{"db.password", nil},
		{"aws-key", nil},
		{"a", nil},
		{strings.Repeat("A", 255), nil},
		{"", ErrEmpty},
		{strings.Repeat("A", 256), ErrTooLong},
		{"1ABC", ErrStart},
		{"-x", ErrStart},
		{".env", ErrStart},
		{"A B", ErrCharset},
		{"a/b", ErrCharset},
		{"<script>", ErrCharset},
		{"ünï", ErrCharset},
		{"A\x00", ErrCharset},
		{"A\xff", ErrEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidateName(tt.name); !errors.Is(got, tt.want) {
				t.Fatalf("ValidateName(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestEnvOverridable(t *testing.T) {
	for name, want := range map[string]bool{"GITHUB_TOKEN": true, "db.password": false, "aws-key": false} {
		if got := EnvOverridable(name); got != want {
			t.Errorf("EnvOverridable(%q) = %v", name, got)
		}
	}
	if EnvVar("X") != "PREFECT__CONTEXT__SECRETS__X" {
		t.Fatal(EnvVar("X"))
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"GITHUB_TOKEN", "", "1a", "a b", "ü", "a.b-c_d", strings.Repeat("z", 256), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if name != "" && len(name) > 2 && strings.Contains(err.Error(), name) {
				t.Fatalf("error repeats the name: %v", err)
			}
			return
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > MaxLen {
			t.Fatalf("accepted length %d", n)
		}
		c := name[0]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			t.Fatalf("accepted start %q", c)
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				t.Fatalf("accepted byte %q", c)
			}
		}
		if EnvOverridable(name) == strings.ContainsAny(name, "-.") {
			t.Fatal("EnvOverridable disagrees with the name's characters")
		}
	})
}
