package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"teamsecrets/localapi/store"
)

// The list page's queries. Without a search, a page walks an index from
// where it starts (secret_by_folded_name, or secret_by_updated) and reads
// only its own rows, whatever the team's size. A search is a LIKE over the
// team's names: a scan of the name index in SQL, no name decoded in Go
// except the matches on the page.

// metaOrders are the ORDER BY clauses, each the order of an index.
var metaOrders = map[[2]bool]string{
	{false, false}: `name COLLATE NOCASE, name`,
	{false, true}:  `name COLLATE NOCASE DESC, name DESC`,
	{true, false}:  `updated_at, name`,
	{true, true}:   `updated_at DESC, name DESC`,
}

// likePattern is a LIKE pattern for names containing search, its own
// wildcards escaped with '\'.
func likePattern(search string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(search) + "%"
}

// SecretMetas returns one page of a team's secrets, without values.
func (db *DB) SecretMetas(ctx context.Context, tenantID string, q store.SecretQuery) ([]store.SecretMeta, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	where, args := `tenant_id = ?`, []any{tenantID}
	if q.Search != "" {
		where += ` AND name LIKE ? ESCAPE '\'`
		args = append(args, likePattern(q.Search))
	}
	args = append(args, q.Limit, max(q.Offset, 0))
	rows, err := db.read.QueryContext(ctx, `SELECT name, created_at, updated_at, updated_by FROM secret WHERE `+where+
		` ORDER BY `+metaOrders[[2]bool{q.ByUpdated, q.Desc}]+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	out := make([]store.SecretMeta, 0, q.Limit)
	for rows.Next() {
		var m store.SecretMeta
		var created, updated string
		if err := rows.Scan(&m.Name, &created, &updated, &m.UpdatedBy); err != nil {
			return nil, err
		}
		m.Created, m.Updated = parseTime(sql.NullString{String: created, Valid: true}).UTC(), parseTime(sql.NullString{String: updated, Valid: true}).UTC()
		out = append(out, m)
	}
	return out, dbError(rows.Err())
}

// SecretMatches counts a team's names containing search.
func (db *DB) SecretMatches(ctx context.Context, tenantID, search string) (int, error) {
	if search == "" {
		return db.SecretCount(ctx, tenantID)
	}
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM secret WHERE tenant_id = ? AND name LIKE ? ESCAPE '\'`,
		tenantID, likePattern(search)).Scan(&n)
	return n, dbError(err)
}
