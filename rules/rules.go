// Package rules holds the rules for secret names and values. The local API
// and the UI both apply them, so every client gets the same answer.
package rules

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxLen is the longest name accepted, in characters.
const MaxLen = 255

// MaxValueBytes is the largest secret value accepted, measured as its JSON
// encoding (a text value's quotes and escapes count).
const MaxValueBytes = 64 << 10

// Errors returned by ValidateName. Their text never repeats the name.
var (
	ErrEmpty    = errors.New("name is required")
	ErrTooLong  = fmt.Errorf("name is longer than %d characters", MaxLen)
	ErrStart    = errors.New("name must start with a letter or an underscore")
	ErrCharset  = errors.New("name may contain only letters, digits, '_', '-' and '.'")
	ErrEncoding = errors.New("name is not valid UTF-8")
)

// ValidateName reports whether name may be used for a new secret: 1–255
// characters of ASCII letters, digits, '_', '-', '.', starting with a letter
// or '_'.
func ValidateName(name string) error {
	if name == "" {
		return ErrEmpty
	}
	if !utf8.ValidString(name) {
		return ErrEncoding
	}
	if utf8.RuneCountInString(name) > MaxLen {
		return ErrTooLong
	}
	if c := name[0]; !isLetter(c) && c != '_' {
		if isDigit(c) || c == '-' || c == '.' {
			return ErrStart
		}
		return ErrCharset
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !isLetter(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' {
			return ErrCharset
		}
	}
	return nil
}

// EnvOverridable reports whether a (valid) name can be set locally through
// the PREFECT__CONTEXT__SECRETS__<NAME> environment variable: only names
// without '-' or '.' can.
func EnvOverridable(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '-' || name[i] == '.' {
			return false
		}
	}
	return true
}

// EnvVar is the environment variable that overrides the secret locally.
func EnvVar(name string) string { return "PREFECT__CONTEXT__SECRETS__" + name }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
