package localapi_test

import (
	"testing"

	"teamsecrets/localapi/store/pgtest"
)

// The end-to-end tests run on each backend (apitest.EachBackend): this
// binary's PostgreSQL is started on first use and removed at the end.
func TestMain(m *testing.M) { pgtest.Main(m) }
