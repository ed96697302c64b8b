package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
)

// invisible are characters that change how a name looks without showing:
// bidirectional overrides and isolates, zero-width and other format
// characters, a byte order mark, a control character, a no-break space.
var invisible = []rune{'\u202E', '\u202A', '\u200B', '\u200D', '\u200F', '\u2066', '\u2069', '\uFEFF', '\u0007', '\u00A0'}

func hasInvisible(s string) bool { return strings.ContainsAny(s, string(invisible)) }

// A name like "invoice\u202Etxt.exe", which reads "invoiceexe.txt", must
// not pass for another: the list, the confirmation pages and the flash
// messages show every invisible character as a visible escape, while links
// and forms keep the exact name.
func TestInvisibleCharactersInNamesAreShown(t *testing.T) {
	u := uitest.Start(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	spoof := "invoice\u202Etxt.exe"
	others := []string{"A\u200BB", "\u2066ISOLATED\u2069", "BOM\uFEFF", "BELL\u0007", "NO\u00A0BREAK", "RTL\u200FMARK", "JOIN\u200DER", "EMBED\u202ALTR"}
	for _, n := range append([]string{spoof}, others...) {
		if err := u.Env.Store.PutSecret(t.Context(), team.ID, n, json.RawMessage(`"v"`)); err != nil {
			t.Fatal(err)
		}
	}
	u.Login(u.Env.AdminKey)
	seg := url.PathEscape(spoof)

	list := u.Get("/teams/default/secrets")
	uitest.MustContain(t, list, shown(spoof), `href="/teams/default/secrets/`+seg+`/rotate"`)
	for _, n := range others {
		uitest.MustContain(t, list, shown(n))
	}
	rotate := u.Get("/teams/default/secrets/" + seg + "/rotate")
	uitest.MustStatus(t, rotate, http.StatusOK)
	uitest.MustContain(t, rotate, "<title>Rotate invoice‹U+202E›txt.exe", "Rotate <code>"+shown(spoof)+"</code>")
	del := u.Get("/teams/default/secrets/" + seg + "/delete")
	uitest.MustContain(t, del, "Delete <code>"+shown(spoof)+"</code>?")
	for name, p := range map[string]uitest.Page{"list": list, "rotate": rotate, "delete": del} {
		if hasInvisible(p.Body) {
			t.Errorf("%s page holds an invisible character as is", name)
		}
	}

	rotated := u.Follow(u.Post("/teams/default/secrets/"+seg+"/rotate", url.Values{"value": {"w"}}))
	uitest.MustContain(t, rotated, "Secret "+shown(spoof)+" rotated.")
	deleted := u.Follow(u.Post("/teams/default/secrets/"+seg+"/delete", nil))
	uitest.MustContain(t, deleted, "Secret "+shown(spoof)+" deleted.")
	missing := u.Get("/teams/default/secrets/" + seg + "/delete")
	uitest.MustStatus(t, missing, http.StatusNotFound)
	uitest.MustContain(t, missing, "no secret named "+shown(spoof))
	for name, p := range map[string]uitest.Page{"after rotate": rotated, "after delete": deleted, "not found": missing} {
		if hasInvisible(p.Body) {
			t.Errorf("%s page holds an invisible character as is", name)
		}
	}

	// A form keeps what was typed, exactly, and the error shows it.
	typed := "NEW\u202EKEY"
	p := u.Post("/teams/default/secrets", url.Values{"name": {typed}, "value": {"v"}})
	uitest.MustStatus(t, p, http.StatusUnprocessableEntity)
	uitest.MustContain(t, p, `value="`+typed+`"`)
	q := u.Get("/teams/default/secrets?q=" + url.QueryEscape("zz\u202Ezz"))
	uitest.MustContain(t, q, "Nothing matches <q>"+shown("zz\u202Ezz")+"</q>", `value="zz`+"\u202E"+`zz"`)
}

// shown is a name as a page shows it: each invisible character as an
// escape in a span.
func shown(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(string(invisible), r) {
			fmt.Fprintf(&b, `<span class="reveal">‹U+%04X›</span>`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
