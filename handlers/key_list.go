package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

func keysURL(slug string) string   { return "/teams/" + url.PathEscape(slug) + "/keys" }
func newKeyURL(slug string) string { return keysURL(slug) + "/new" }
func revokeKeyURL(slug, id string) string {
	return keysURL(slug) + "/" + url.PathEscape(id) + "/revoke"
}

// keyTime is how the keys page shows a time: UTC, to the minute.
func keyTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// keyIDParam is the key id of the URL, or "" when it is no UUID.
func keyIDParam(c echo.Context) string {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return ""
	}
	return id.String()
}

// apiKeyList shows the keys the signed-in key may see: its user's, and the
// team's for a TENANT_ADMIN.
func (a *App) apiKeyList(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	keys, hasLastUsed, err := a.api.APIKeys(ctx)
	if err != nil {
		return err
	}
	me, err := a.api.UserID(ctx)
	if err != nil {
		return err
	}
	now := a.cfg.Now()
	p := views.APIKeyListPage{
		CSRF: a.csrfToken(c), HasLastUsed: hasLastUsed,
		NewURL: newKeyURL(team.Slug), BackURL: listURL(team.Slug),
	}
	for _, k := range keys {
		owner := "Team key"
		switch {
		case k.UserID != "" && k.UserID == me:
			owner = "You"
		case k.UserID != "":
			owner = "Member " + shortID(k.UserID)
		}
		p.Keys = append(p.Keys, views.APIKeyRow{
			Name: k.Name, Owner: owner,
			Created: keyTime(k.Created, "–"), Expires: keyTime(k.ExpiresAt, "Never"), LastUsed: keyTime(k.LastUsed, "Not yet"),
			Expired:   !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt),
			RevokeURL: revokeKeyURL(team.Slug, k.ID),
		})
	}
	p.Layout = a.layout(c, "API keys · "+team.Name)
	return a.render(c, http.StatusOK, views.APIKeyListView(p))
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
