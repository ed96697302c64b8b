package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"teamsecrets/localapi/store"
)

// Empty reports whether there is no team yet.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM tenant`).Scan(&n)
	return n == 0, dbError(err)
}

// CreateTenant adds a team; a taken slug is store.ErrExists.
func (db *DB) CreateTenant(ctx context.Context, t store.Tenant) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO tenant (id, slug, name, created_at) VALUES (?, ?, ?, ?)`,
		t.ID, t.Slug, t.Name, now())
	if isUniqueViolation(err) {
		return fmt.Errorf("team %q %w", t.Slug, store.ErrExists)
	}
	return dbError(err)
}

// Tenants lists all teams by slug.
func (db *DB) Tenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, slug, name FROM tenant ORDER BY slug`)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []store.Tenant
	for rows.Next() {
		var t store.Tenant
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, dbError(rows.Err())
}

// TenantBySlug finds a team.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	var t store.Tenant
	err := db.read.QueryRowContext(ctx, `SELECT id, slug, name FROM tenant WHERE slug = ?`, slug).Scan(&t.ID, &t.Slug, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("team %q: %w", slug, store.ErrNotFound)
	}
	return t, dbError(err)
}

// TenantByID finds a team.
func (db *DB) TenantByID(ctx context.Context, id string) (store.Tenant, error) {
	var t store.Tenant
	err := db.read.QueryRowContext(ctx, `SELECT id, slug, name FROM tenant WHERE id = ?`, id).Scan(&t.ID, &t.Slug, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, store.ErrNotFound
	}
	return t, dbError(err)
}
