package views

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// Names come from the API and may hold characters that change how text
// looks without showing: a right-to-left override (U+202E) makes
// "invoice\u202Etxt.exe" read "invoiceexe.txt". Pages show each such
// character as a visible escape, ‹U+202E›, in a style of its own; links and
// form values keep the exact name.

// invisible reports whether r would not show, or would change how the text
// around it shows: format characters (bidirectional embeddings, overrides,
// isolates and marks, zero-width spaces and joiners, the byte order mark,
// soft hyphen, tags), control characters, separators and spaces other than
// U+0020, variation selectors, and the blank letters (Hangul fillers,
// braille blank) that render as nothing.
func invisible(r rune) bool {
	if r > ' ' && r < utf8.RuneSelf {
		return false
	}
	switch {
	case r == ' ':
		return false
	case unicode.In(r, unicode.Cf, unicode.Cc, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Variation_Selector):
		return true
	}
	switch r {
	case '\u034F', '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800':
		return true
	}
	return false
}

func escape(r rune) string { return fmt.Sprintf("‹U+%04X›", r) }

// reveal shows s as HTML text with every invisible character as a visible
// escape in a span of class "reveal".
func reveal(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if strings.IndexFunc(s, invisible) < 0 {
			_, err := io.WriteString(w, templ.EscapeString(s))
			return err
		}
		var b strings.Builder
		start := 0
		for i, r := range s {
			if !invisible(r) {
				continue
			}
			b.WriteString(templ.EscapeString(s[start:i]))
			b.WriteString(`<span class="reveal">`)
			b.WriteString(escape(r))
			b.WriteString(`</span>`)
			_, size := utf8.DecodeRuneInString(s[i:])
			start = i + size
		}
		b.WriteString(templ.EscapeString(s[start:]))
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// revealText is s with every invisible character as a visible escape, for
// plain text such as the page title.
func revealText(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if invisible(r) {
			b.WriteString(escape(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// revealName is reveal for a secret name, with a line break opportunity
// (<wbr>) after each '_', '-' and '.', so a long name wraps between its
// words rather than mid-word; the text is unchanged.
func revealName(s string) templ.Component {
	if strings.IndexFunc(s, invisible) >= 0 || !strings.ContainsAny(s, "_-.") {
		return reveal(s)
	}
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		start := 0
		for i := 0; i < len(s); i++ {
			// No break after a leading or trailing separator, or inside a run.
			if c := s[i]; (c == '_' || c == '-' || c == '.') && i > 0 && i+1 < len(s) && !strings.ContainsRune("_-.", rune(s[i+1])) {
				if _, err := io.WriteString(w, templ.EscapeString(s[start:i+1])+"<wbr>"); err != nil {
					return err
				}
				start = i + 1
			}
		}
		_, err := io.WriteString(w, templ.EscapeString(s[start:]))
		return err
	})
}
