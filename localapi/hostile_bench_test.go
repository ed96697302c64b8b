package localapi_test

import (
	"fmt"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// BenchmarkHostileDocument measures what refusing each attack of the
// security review costs the server (over HTTP on loopback, client included).
func BenchmarkHostileDocument(b *testing.B) {
	env := apitest.Start(b)
	setNames(b, env, "default", 2000, 255)
	readOnly := env.Key(b, "default", localapi.RoleReadOnlyUser, "")
	tenant, _ := env.Store.TenantBySlug(b.Context(), "default")
	for i := range 100 {
		if err := env.Store.PutSecret(b.Context(), tenant.ID, fmt.Sprintf("V%d", i), jsonRaw(`"`+strings.Repeat("v", localapi.MaxValueBytes-2)+`"`)); err != nil {
			b.Fatal(err)
		}
	}
	value := strings.Repeat("v", 65000)
	for _, bc := range []struct {
		name, key, doc string
		vars           any
	}{
		{"8000 ids, no key", "", "{user{" + strings.Repeat(" id", 8000) + "}}", nil},
		{"21000 ids, no key", "", "{user{" + strings.Repeat(" id", 21000) + "}}", nil},
		{"1000 ids, no key", "", "{user{" + strings.Repeat(" id", 1000) + "}}", nil},
		{"1000 secret_names aliases, read-only key", readOnly, "{" + repeat(" a%d:secret_names", 1000) + "}", nil},
		{"100 secret_value of 64 KiB", env.AdminKey, "{" + repeat(` a%d:secret_value(name:"V%[1]d")`, 100) + "}", nil},
		{"999 set_secret of 65000 chars", env.AdminKey, "mutation($v: JSON!){" + repeat(` a%d:set_secret(input:{name:"S%[1]d",value:$v}){success}`, 999) + "}", map[string]any{"v": value}},
		{"value 1e400, no key", "", `mutation { set_secret(input: { name: "K", value: 1e400 }) { success } }`, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := env.Do(b, bc.key, "", bc.doc, bc.vars); r.Code() != localapi.CodeBadUserInput {
					b.Fatalf("not refused: %+v", r.Errors)
				}
			}
		})
	}
}
