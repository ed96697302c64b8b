package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

// The History page: the team's audit trail (the local API's audit_events
// extension). Against an API without it (Prefect Cloud) the page is not
// found and no link leads to it.

const auditPerPage = 50

func historyURL(slug string) string { return "/teams/" + url.PathEscape(slug) + "/history" }

// secretHistoryURL is one secret's history.
func secretHistoryURL(slug, name string) string {
	return historyURL(slug) + "?" + url.Values{"secret": {name}}.Encode()
}

func auditPageURL(slug, secret, since string, page int) string {
	v := url.Values{}
	if secret != "" {
		v.Set("secret", secret)
	}
	if since != "" {
		v.Set("since", since)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return historyURL(slug)
	}
	return historyURL(slug) + "?" + v.Encode()
}

// auditSince are the History page's choices of period; ?since= takes
// what teamsecrets audit --since takes too (see parseAuditSince).
var auditSince = []views.SinceOption{
	{Value: "", Label: "Any time"}, {Value: "24h", Label: "Last 24 hours"},
	{Value: "7d", Label: "Last 7 days"}, {Value: "30d", Label: "Last 30 days"},
}

// parseAuditSince reads ?since=: a duration back from now (Go's, or whole
// days, 7d) or an RFC 3339 time, as teamsecrets audit --since does.
func parseAuditSince(s string, now time.Time) (time.Time, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 100_000 {
			return now.AddDate(0, 0, -n), true
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), true
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

var auditWhat = map[string]string{
	"secret.added": "Added", "secret.replaced": "Replaced", "secret.deleted": "Deleted",
	"key.created": "Key created", "key.revoked": "Key revoked", "member.changed": "Member changed",
	"auth.refused": "Sign-in refused",
}

func (a *App) auditList(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	secret := strings.TrimSpace(strings.ToValidUTF8(c.QueryParam("secret"), ""))
	if len(secret) > 1024 {
		secret = strings.ToValidUTF8(secret[:1024], "")
	}
	pageNo := 1
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 && n < 1_000_000 {
		pageNo = n
	}
	sinceText := strings.TrimSpace(c.QueryParam("since"))
	var since time.Time
	if sinceText != "" {
		t, ok := parseAuditSince(sinceText, a.now())
		if !ok || len(sinceText) > 64 {
			return &pageError{Status: http.StatusBadRequest, Heading: "Unknown period",
				Message: "The period is a duration back from now (24h, 7d) or an RFC 3339 time."}
		}
		since = t
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	page, ok, err := a.api.AuditEvents(ctx, cloud.AuditQuery{Secret: secret, Since: since, Limit: auditPerPage, Offset: (pageNo - 1) * auditPerPage})
	if err != nil {
		return err
	}
	if !ok {
		return notFound("This API keeps no history: the History page needs the local API's audit trail.")
	}
	p := views.AuditListPage{
		Secret: secret, Since: sinceText, SinceOptions: sinceOptions(sinceText), ClearURL: historyURL(team.Slug), BackURL: listURL(team.Slug),
		Matches: page.Matches, Page: pageNo, Pages: max(1, (page.Matches+auditPerPage-1)/auditPerPage),
	}
	if pageNo > 1 {
		p.PrevURL = auditPageURL(team.Slug, secret, sinceText, pageNo-1)
	}
	if pageNo < p.Pages {
		p.NextURL = auditPageURL(team.Slug, secret, sinceText, pageNo+1)
	}
	p.Rows, p.ShowAddrs = auditRows(team.Slug, page.Events)
	title := "History · " + team.Name
	if secret != "" {
		title = "History of " + secret + " · " + team.Name
	}
	p.Layout = a.layout(c, title)
	return a.render(c, http.StatusOK, views.AuditListView(p))
}

// auditRows prepares events (newest first) for the page. A rename, as the
// UI makes it (set the new name, then delete the old, in one UI request,
// so with one request id), shows as one row.
func auditRows(slug string, events []cloud.AuditEvent) (rows []views.AuditRow, addrs bool) {
	for i := 0; i < len(events); i++ {
		e := events[i]
		what := auditWhat[e.Action]
		if what == "" {
			what = e.Action
		}
		r := views.AuditRow{
			Time: e.Time.Format("2006-01-02 15:04:05 UTC"), TimeExact: e.Time.Format(time.RFC3339),
			What: what, Secret: e.Secret, Target: e.Target,
			Refused: e.Outcome != "ok", Outcome: strings.ReplaceAll(e.Outcome, "_", " "),
			Actor: e.Actor, Key: e.KeyName, Request: e.RequestID, Addr: e.ClientAddr,
		}
		if r.Actor == "" {
			r.Actor = "Operator"
		}
		if e.ClientAddr != "" {
			addrs = true
		}
		if i+1 < len(events) && e.Action == "secret.deleted" && e.Outcome == "ok" && e.RequestID != "" {
			if n := events[i+1]; n.RequestID == e.RequestID && n.Outcome == "ok" && n.Secret != e.Secret &&
				(n.Action == "secret.added" || n.Action == "secret.replaced") {
				r.What, r.OldName, r.Secret = "Renamed", e.Secret, n.Secret
				i++
			}
		}
		if r.Secret != "" {
			r.SecretURL = secretHistoryURL(slug, r.Secret)
		}
		rows = append(rows, r)
	}
	return rows, addrs
}

// historyLink is the header's link to the team's History page, when the API
// keeps an audit trail: asked once per API (cloud remembers the answer).
func (a *App) historyLink(c echo.Context, s *session, team sessionTeam) string {
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	if !a.api.HasAuditTrail(ctx) {
		return ""
	}
	return historyURL(team.Slug)
}

// linkHistories links each row of the list to its secret's history.
func linkHistories(rows []views.SecretRow, slug string) {
	for i := range rows {
		rows[i].HistoryURL = secretHistoryURL(slug, rows[i].Name)
	}
}

// sinceOptions are the period choices, with since (a value typed into the
// address, kept as it is) among them.
func sinceOptions(since string) []views.SinceOption {
	opts := append([]views.SinceOption(nil), auditSince...)
	for _, o := range opts {
		if o.Value == since {
			return opts
		}
	}
	return append(opts, views.SinceOption{Value: since, Label: "Since " + since})
}
