package views

import (
	"context"
	"strings"
	"testing"
)

func TestRevealEscapesHTMLAndShowsInvisibleCharacters(t *testing.T) {
	cases := map[string]string{
		"PLAIN_NAME":                 "PLAIN_NAME",
		"with space":                 "with space",
		"ünïcødé 名前 🔑":               "ünïcødé 名前 🔑",
		"<b>\u202E&\"":               `&lt;b&gt;<span class="reveal">‹U+202E›</span>&amp;&#34;`,
		"a\u200Bb\u2066c\u2069":      `a<span class="reveal">‹U+200B›</span>b<span class="reveal">‹U+2066›</span>c<span class="reveal">‹U+2069›</span>`,
		"\uFEFF\u00AD\t\u3000\uFE0F": `<span class="reveal">‹U+FEFF›</span><span class="reveal">‹U+00AD›</span><span class="reveal">‹U+0009›</span><span class="reveal">‹U+3000›</span><span class="reveal">‹U+FE0F›</span>`,
		"\u3164\u2800":               `<span class="reveal">‹U+3164›</span><span class="reveal">‹U+2800›</span>`,
	}
	for in, want := range cases {
		var b strings.Builder
		if err := reveal(in).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("reveal(%q) = %s, want %s", in, b.String(), want)
		}
	}
	if got := revealText("Rotate x\u202Ey"); got != "Rotate x‹U+202E›y" {
		t.Errorf("revealText: %q", got)
	}
}

func TestRevealNameBreaksAfterSeparatorsOnly(t *testing.T) {
	cases := map[string]string{
		"GITHUB_TOKEN": "GITHUB_<wbr>TOKEN",
		"db.pass-word": "db.<wbr>pass-<wbr>word",
		"_LEADING":     "_LEADING",
		"TRAILING_":    "TRAILING_",
		"A__B":         "A__<wbr>B",
		"PLAIN":        "PLAIN",
		"<x>_&":        "&lt;x&gt;_<wbr>&amp;",
		"a_\u202Eb":    `a_<span class="reveal">‹U+202E›</span>b`,
	}
	for in, want := range cases {
		var b strings.Builder
		if err := revealName(in).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("revealName(%q) = %s, want %s", in, b.String(), want)
		}
	}
}
