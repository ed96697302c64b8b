package handlers

import (
	"context"
	"fmt"
	"time"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

// The list page from the API's list extension (secret_list, the local
// API's; not in Prefect Cloud): the API searches, orders, pages and counts,
// so a page costs the same at 100 secrets as at 100,000, and each row says
// when and by whom it was last written. cloud.Client learns once whether
// the API has it; against one without it (Prefect Cloud) secretList lists
// secret_names and pages here, as before, without the Updated column.

// secretPage builds the list page from the extension; ok is false when the
// API does not offer it.
func (a *App) secretPage(ctx context.Context, slug string, q listQuery) (views.SecretListPage, bool, error) {
	cq := cloud.PageQuery{Search: q.Search, ByUpdated: q.ByUpdated, Desc: q.Desc, Limit: q.PerPage, Offset: (q.Page - 1) * q.PerPage}
	res, ok, err := a.api.SecretPage(ctx, cq)
	if !ok || err != nil {
		return views.SecretListPage{}, ok, err
	}
	if len(res.Secrets) == 0 && res.Matches > 0 && q.Page > 1 {
		// Past the last page (a bookmark, or secrets deleted since): show
		// the last one, as the names path does.
		q.Page = (res.Matches + q.PerPage - 1) / q.PerPage
		cq.Offset = (q.Page - 1) * q.PerPage
		if res, _, err = a.api.SecretPage(ctx, cq); err != nil {
			return views.SecretListPage{}, true, err
		}
	}
	p := newListPage(slug, q, true)
	p.Total, p.Matches = res.Total, res.Matches
	pageRange(&p, q)
	now := a.now()
	base := listURL(slug) + "/"
	p.Rows = make([]views.SecretRow, 0, len(res.Secrets))
	for _, s := range res.Secrets {
		r := secretRow(base, s.Name)
		if !s.Updated.IsZero() {
			r.Updated = relativeTime(now, s.Updated)
			r.UpdatedAt = s.Updated.Format(time.RFC3339)
			r.UpdatedExact = s.Updated.Format("2006-01-02 15:04:05 UTC")
		}
		r.UpdatedBy = s.UpdatedBy
		p.Rows = append(p.Rows, r)
	}
	finishListPage(&p, slug, q)
	return p, true, nil
}

// newListPage is the list page's frame; withMeta: the rows carry when and
// by whom (the extension).
func newListPage(slug string, q listQuery, withMeta bool) views.SecretListPage {
	p := views.SecretListPage{
		NewURL: newURL(slug), Import: importURL(slug), ListURL: listURL(slug), Query: q.Search,
		PerPage: q.PerPage, PerPages: perPages, SortDesc: q.Desc, ByUpdated: q.ByUpdated,
		HasMeta: withMeta, Sort: q.sortParam(),
	}
	p.SortOptions = []views.SortOption{{Value: "", Label: "Name, A to Z"}, {Value: "-name", Label: "Name, Z to A"}}
	if withMeta {
		p.SortOptions = append(p.SortOptions,
			views.SortOption{Value: "-updated", Label: "Recently updated"},
			views.SortOption{Value: "updated", Label: "Least recently updated"})
	}
	for i := range p.SortOptions {
		p.SortOptions[i].Selected = p.SortOptions[i].Value == p.Sort
	}
	return p
}

// pageRange sets the page numbers and the range shown from p.Matches, and
// returns the range as indexes into the matches.
func pageRange(p *views.SecretListPage, q listQuery) (start, end int) {
	p.Pages = max(1, (p.Matches+q.PerPage-1)/q.PerPage)
	p.Page = min(q.Page, p.Pages)
	start = (p.Page - 1) * q.PerPage
	end = min(start+q.PerPage, p.Matches)
	if p.Matches > 0 {
		p.From, p.To = start+1, end
	}
	return start, end
}

// finishListPage adds the sort and page links.
func finishListPage(p *views.SecretListPage, slug string, q listQuery) {
	byName := q
	byName.ByUpdated, byName.Desc = false, !q.ByUpdated && !q.Desc
	p.SortURL = listQueryURL(slug, byName, 1)
	byUpdated := q
	// Newest first on the first click; then the other way round.
	byUpdated.ByUpdated, byUpdated.Desc = true, !(q.ByUpdated && q.Desc)
	p.UpdatedSortURL = listQueryURL(slug, byUpdated, 1)
	if p.Page > 1 {
		p.PrevURL = listQueryURL(slug, q, p.Page-1)
	}
	if p.Page < p.Pages {
		p.NextURL = listQueryURL(slug, q, p.Page+1)
	}
	p.PageLinks = pageLinks(p.Page, p.Pages, func(n int) string { return listQueryURL(slug, q, n) })
}

// pageLinks are numbered links: the first and last pages, and two either
// side of the current one; a gap is a link with no URL ("…").
func pageLinks(page, pages int, url func(int) string) []views.PageLink {
	if pages <= 1 {
		return nil
	}
	nums := []int{1}
	for n := max(2, page-2); n <= min(pages-1, page+2); n++ {
		nums = append(nums, n)
	}
	nums = append(nums, pages)
	var out []views.PageLink
	for i, n := range nums {
		if i > 0 && n > nums[i-1]+1 {
			out = append(out, views.PageLink{Label: "…"})
		}
		out = append(out, views.PageLink{Label: views.Count(n), URL: url(n), Current: n == page})
	}
	return out
}

// relativeTime says how long ago t was, as people say it: "just now",
// "5 minutes ago", "yesterday", "3 days ago", "2 months ago".
func relativeTime(now, t time.Time) string {
	d := now.Sub(t)
	ago := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return ago(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return ago(int(d/time.Hour), "hour")
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return ago(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		return ago(int(d/(30*24*time.Hour)), "month")
	}
	return ago(int(d/(365*24*time.Hour)), "year")
}
