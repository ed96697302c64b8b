package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// A read-only key of a member who may write acts read-only, so the pages
// show it no write actions (the API would refuse them anyway).
func TestReadOnlyKeyOfAWriterSeesNoWriteActions(t *testing.T) {
	u := uitest.Start(t)
	u.Env.Member(t, "default", localapi.RoleUser, "writer")
	ro := u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "writer")
	list := u.Login(ro)
	uitest.MustContain(t, list, "read-only access")
	for _, s := range []string{"Add secret", "/secrets/new"} {
		if strings.Contains(list.Body, s) {
			t.Errorf("read-only key's list shows %q", s)
		}
	}
	uitest.MustStatus(t, u.Get("/teams/default/secrets/new"), http.StatusForbidden)
}
