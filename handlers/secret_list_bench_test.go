package handlers

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"testing"

	"teamsecrets/views"
)

// benchNames returns n names in the local API's order.
func benchNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("SERVICE_%06d_API_TOKEN", i)
	}
	slices.SortFunc(names, compareNames)
	return names
}

// BenchmarkRenderSecretList builds and renders the list page from the names
// the API returned: sorting check, search, paging, template.
func BenchmarkRenderSecretList(b *testing.B) {
	for _, n := range []int{10, 1_000, 10_000, 100_000} {
		names := benchNames(n)
		for _, tc := range []struct{ name, query string }{
			{"first-page", ""},
			{"last-page", "page=1000000&per_page=50"},
			{"search", "q=123_api"},
			{"desc-100", "sort=-name&per_page=100"},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, tc.name), func(b *testing.B) {
				v, _ := url.ParseQuery(tc.query)
				b.ReportAllocs()
				for b.Loop() {
					p := buildSecretList("default", names, parseListQuery(v))
					if err := views.SecretListView(p).Render(b.Context(), io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
