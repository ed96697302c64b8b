package postgres

import (
	"context"
	"errors"
	"fmt"

	"teamsecrets/localapi/store"
)

// Empty reports whether there is no team yet.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var any bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenant)`).Scan(&any)
	return !any, db.err(err)
}

// CreateTenant adds a team; a taken slug is store.ErrExists.
func (db *DB) CreateTenant(ctx context.Context, t store.Tenant) error {
	if err := checkText("a team's id, slug or name", t.ID, t.Slug, t.Name); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO tenant (id, slug, name, created_at) VALUES ($1, $2, $3, now())`, t.ID, t.Slug, t.Name)
	if err = db.err(err); errors.Is(err, store.ErrExists) {
		return fmt.Errorf("team %q %w", t.Slug, store.ErrExists)
	}
	return err
}

// Tenants lists all teams by slug.
func (db *DB) Tenants(ctx context.Context) ([]store.Tenant, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, slug, name FROM tenant ORDER BY slug`)
	if err != nil {
		return nil, db.err(err)
	}
	defer rows.Close()
	var out []store.Tenant
	for rows.Next() {
		var t store.Tenant
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name); err != nil {
			return nil, db.err(err)
		}
		out = append(out, t)
	}
	return out, db.err(rows.Err())
}

// TenantBySlug finds a team.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	var t store.Tenant
	if !storable(slug) {
		return t, fmt.Errorf("team %q: %w", slug, store.ErrNotFound)
	}
	err := db.pool.QueryRow(ctx, `SELECT id, slug, name FROM tenant WHERE slug = $1`, slug).Scan(&t.ID, &t.Slug, &t.Name)
	if rowMissing(err) {
		return t, fmt.Errorf("team %q: %w", slug, store.ErrNotFound)
	}
	return t, db.err(err)
}

// TenantByID finds a team.
func (db *DB) TenantByID(ctx context.Context, id string) (store.Tenant, error) {
	var t store.Tenant
	if !storable(id) {
		return t, store.ErrNotFound
	}
	err := db.pool.QueryRow(ctx, `SELECT id, slug, name FROM tenant WHERE id = $1`, id).Scan(&t.ID, &t.Slug, &t.Name)
	if rowMissing(err) {
		return t, store.ErrNotFound
	}
	return t, db.err(err)
}
