package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"teamsecrets/localapi/store"
)

// The list page's queries. Without a search, a page walks an index from
// where it starts (secret_by_folded_name, or secret_by_updated) and reads
// only its own rows. A search is a LIKE over the team's folded names.

// metaOrders are the ORDER BY clauses, each the order of an index.
var metaOrders = map[[2]bool]string{
	{false, false}: `lower(name), name`,
	{false, true}:  `lower(name) DESC, name DESC`,
	{true, false}:  `updated_at, name`,
	{true, true}:   `updated_at DESC, name DESC`,
}

// likePattern is a LIKE pattern for folded names containing search, ASCII
// case-insensitively (as SQLite's LIKE), its own wildcards escaped with '\'.
func likePattern(search string) string {
	folded := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, search)
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(folded) + "%"
}

// SecretMetas returns one page of a team's secrets, without values.
func (db *DB) SecretMetas(ctx context.Context, tenantID string, q store.SecretQuery) ([]store.SecretMeta, error) {
	if q.Limit <= 0 || !storable(tenantID, q.Search) {
		return nil, nil
	}
	where, args := `tenant_id = $1`, []any{tenantID}
	if q.Search != "" {
		where += ` AND lower(name) LIKE $2 ESCAPE '\'`
		args = append(args, likePattern(q.Search))
	}
	limit := len(args) + 1
	args = append(args, q.Limit, max(q.Offset, 0))
	rows, err := db.pool.Query(ctx, `SELECT name, created_at, updated_at, updated_by FROM secret WHERE `+where+
		` ORDER BY `+metaOrders[[2]bool{q.ByUpdated, q.Desc}]+` LIMIT $`+strconv.Itoa(limit)+` OFFSET $`+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, db.err(err)
	}
	defer rows.Close()
	out := make([]store.SecretMeta, 0, q.Limit)
	for rows.Next() {
		var m store.SecretMeta
		var created, updated time.Time
		if err := rows.Scan(&m.Name, &created, &updated, &m.UpdatedBy); err != nil {
			return nil, db.err(err)
		}
		m.Created, m.Updated = created.UTC(), updated.UTC()
		out = append(out, m)
	}
	return out, db.err(rows.Err())
}

// SecretMatches counts a team's names containing search.
func (db *DB) SecretMatches(ctx context.Context, tenantID, search string) (int, error) {
	if search == "" {
		return db.SecretCount(ctx, tenantID)
	}
	if !storable(tenantID, search) {
		return 0, nil
	}
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM secret WHERE tenant_id = $1 AND lower(name) LIKE $2 ESCAPE '\'`,
		tenantID, likePattern(search)).Scan(&n)
	return n, db.err(err)
}
