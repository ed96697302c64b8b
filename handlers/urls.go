package handlers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// pathSegment encodes a secret name as one URL path segment. Names may
// hold '/', '%', '?', '#' or spaces (Cloud allows any name); "." and ".."
// are encoded too, so no browser collapses them.
func pathSegment(name string) string {
	s := url.PathEscape(name)
	if s == "." || s == ".." {
		s = strings.ReplaceAll(s, ".", "%2E")
	}
	return s
}

// nameParam is the secret name from the URL, decoded once.
func nameParam(c echo.Context) (string, bool) {
	raw := c.Param("name")
	if c.Request().URL.RawPath == "" {
		return raw, raw != ""
	}
	name, err := url.PathUnescape(raw)
	return name, err == nil && name != ""
}

func listURL(slug string) string { return "/teams/" + url.PathEscape(slug) + "/secrets" }
func newURL(slug string) string  { return listURL(slug) + "/new" }
func secretURL(slug, name string) string {
	return listURL(slug) + "/" + pathSegment(name)
}
func rotateURL(slug, name string) string { return secretURL(slug, name) + "/rotate" }
func deleteURL(slug, name string) string { return secretURL(slug, name) + "/delete" }

// listQueryURL is the list with search, order and paging; defaults are
// left out so URLs stay short.
func listQueryURL(slug string, q listQuery, page int) string {
	v := url.Values{}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	if sort := q.sortParam(); sort != "" {
		v.Set("sort", sort)
	}
	if q.PerPage != defaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return listURL(slug)
	}
	return listURL(slug) + "?" + v.Encode()
}
