package localapi

import (
	"strings"
	"testing"
)

func TestChosenKeysMustBeHardToGuess(t *testing.T) {
	tests := []struct {
		key  string
		ok   bool
		says string
	}{
		{"admin123", false, "too short"},
		{"tsk_my_key", false, "too short"},
		{strings.Repeat("a", 64), false, "too predictable"},
		{strings.Repeat("ab", 32), false, "too predictable"},
		{"abcdefghijklmnopqrstuvwxyzabcdefghijklmnop", false, "too predictable"},
		{"0123456789012345678901234567890123456789", false, "too predictable"},
		{"passwordpasswordpasswordpassword", false, "too predictable"},
		{"K3y-" + strings.Repeat("x", 40), false, "too predictable"},
		{newAPIKey(), true, ""},
		{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true, ""}, // openssl rand -hex 32
		{"q1Vd8Zr0pXn3Lw7yTk2Hs6Gb4Jm9Fc5E", true, ""},                                 // 32 random base62
		{"3f2a9c1b7e4d8f06a5b2c9e1d7f3a8b4", true, ""},                                 // openssl rand -hex 16
	}
	for _, tt := range tests {
		err := CheckChosenKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("%.20q…: err = %v, want ok=%v", tt.key, err, tt.ok)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "at least 32 random characters") {
				t.Errorf("%.20q…: message %q should say %q and what is needed", tt.key, err, tt.says)
			}
			if strings.Contains(err.Error(), tt.key) {
				t.Errorf("message quotes the key: %q", err)
			}
		}
	}
}
