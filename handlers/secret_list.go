package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
	"teamsecrets/views"
)

const defaultPerPage = 50

var perPages = []int{20, 50, 100}

// listQuery is the list page's query string, cleaned up: unknown values fall
// back to defaults rather than failing.
type listQuery struct {
	Search    string
	ByUpdated bool // order by last write (needs the API's list extension)
	Desc      bool
	Page      int
	PerPage   int
}

func parseListQuery(v url.Values) listQuery {
	q := listQuery{Page: 1, PerPage: defaultPerPage}
	// Drop invalid UTF-8 and cut to length first, then trim, so the search
	// survives a round trip through its own links.
	search := strings.ToValidUTF8(v.Get("q"), "")
	if len(search) > 4*rules.MaxLen {
		search = strings.ToValidUTF8(search[:4*rules.MaxLen], "")
	}
	q.Search = strings.TrimSpace(search)
	switch v.Get("sort") {
	case "-name":
		q.Desc = true
	case "updated":
		q.ByUpdated = true
	case "-updated":
		q.ByUpdated, q.Desc = true, true
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 {
		q.Page = n
	}
	if n, err := strconv.Atoi(v.Get("per_page")); err == nil && slices.Contains(perPages, n) {
		q.PerPage = n
	}
	return q
}

// sortParam is the sort query value ("" for the default, name A to Z).
func (q listQuery) sortParam() string {
	switch {
	case q.ByUpdated && q.Desc:
		return "-updated"
	case q.ByUpdated:
		return "updated"
	case q.Desc:
		return "-name"
	}
	return ""
}

// secretList shows the team's secrets: search, order, pages. With the
// API's list extension (secret_list_meta.go) the API pages; without it,
// every name is fetched and paged here.
func (a *App) secretList(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	q := parseListQuery(c.QueryParams())
	p, ok, err := a.secretPage(ctx, team.Slug, q)
	if err != nil {
		return err
	}
	if !ok {
		names, err := a.api.SecretNames(ctx)
		if err != nil {
			return err
		}
		q.ByUpdated = false // not known without the extension
		p = buildSecretList(team.Slug, names, q)
	}
	p.ReadOnly = team.ReadOnly()
	p.Layout = a.layout(c, "Secrets · "+team.Name)
	if p.Layout.HistoryURL != "" {
		linkHistories(p.Rows, team.Slug)
	}
	return a.render(c, http.StatusOK, views.SecretListView(p))
}

// buildSecretList filters, orders and pages the names into the view model.
// names is not modified.
func buildSecretList(slug string, names []string, q listQuery) views.SecretListPage {
	p := newListPage(slug, q, false)
	p.Total = len(names)
	if !slices.IsSortedFunc(names, compareNames) {
		names = slices.Clone(names)
		slices.SortFunc(names, compareNames)
	}
	matches := names
	if q.Search != "" {
		matches = filterNames(names, q.Search)
	}
	p.Matches = len(matches)
	start, end := pageRange(&p, q)
	p.Rows = make([]views.SecretRow, 0, end-start)
	base := listURL(slug) + "/"
	for i := start; i < end; i++ {
		name := matches[i]
		if q.Desc {
			name = matches[p.Matches-1-i]
		}
		p.Rows = append(p.Rows, secretRow(base, name))
	}
	finishListPage(&p, slug, q)
	return p
}

// secretRow is a row with its links (base is the list URL and "/").
func secretRow(base, name string) views.SecretRow {
	secret := base + pathSegment(name)
	return views.SecretRow{
		Name:      name,
		RotateURL: secret + "/rotate",
		DeleteURL: secret + "/delete",
		NoEnvVar:  rules.ValidateName(name) != nil || !rules.EnvOverridable(name),
	}
}

// compareNames orders names ASCII case-insensitively, ties by bytes: the
// order the local API returns, so the usual case needs no sort.
func compareNames(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] == b[i] {
			continue // the common case: no folding needed
		}
		ca, cb := lowerASCII(a[i]), lowerASCII(b[i])
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// filterNames keeps names containing q, ignoring case.
func filterNames(names []string, q string) []string {
	out := make([]string, 0, 64)
	if isASCII(q) {
		lq := []byte(strings.ToLower(q))
		for _, n := range names {
			if containsFoldASCII(n, lq) {
				out = append(out, n)
			}
		}
		return out
	}
	lq := strings.ToLower(q)
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), lq) {
			out = append(out, n)
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains lq (lower-case ASCII),
// folding ASCII letters in s; it allocates nothing.
func containsFoldASCII(s string, lq []byte) bool {
	if len(lq) == 0 {
		return true
	}
	for i := 0; i+len(lq) <= len(s); i++ {
		j := 0
		for j < len(lq) && lowerASCII(s[i+j]) == lq[j] {
			j++
		}
		if j == len(lq) {
			return true
		}
	}
	return false
}
