package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"teamsecrets/localapi"
)

// A read-only key of a member who may write acts read-only, so the pages
// show it no write actions (the API would refuse them anyway).
func TestReadOnlyKeyOfAWriterSeesNoWriteActions(t *testing.T) {
	u := startUI(t)
	u.env.Member(t, "default", localapi.RoleUser, "writer")
	ro := u.env.Key(t, "default", localapi.RoleReadOnlyUser, "writer")
	list := u.login(ro)
	mustContain(t, list, "read-only access")
	for _, s := range []string{"Add secret", "/secrets/new"} {
		if strings.Contains(list.Body, s) {
			t.Errorf("read-only key's list shows %q", s)
		}
	}
	mustStatus(t, u.get("/teams/default/secrets/new"), http.StatusForbidden)
}
