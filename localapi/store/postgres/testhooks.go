package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
)

// FillDiskForTest makes every later write of a secret fail as on a full
// disk: a trigger raises SQLSTATE 53100 (disk_full), the error the server
// gives when it cannot extend a file. b is a backend from Open. Tests only.
func FillDiskForTest(ctx context.Context, b store.Backend) error {
	db, ok := b.(*DB)
	if !ok {
		return fmt.Errorf("not a PostgreSQL backend: %T", b)
	}
	_, err := db.pool.Exec(ctx, `
		CREATE FUNCTION pgtest_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
		CREATE TRIGGER pgtest_disk_full BEFORE INSERT OR UPDATE ON secret
			FOR EACH ROW EXECUTE FUNCTION pgtest_disk_full();`)
	return err
}

// RowsForTest returns every row of table, each column's value as stored
// (bytea as its bytes, text as its text), for tests that look for what
// must never be stored. b is a backend from Open. Tests only.
func RowsForTest(ctx context.Context, b store.Backend, table string) ([][]byte, error) {
	db, ok := b.(*DB)
	if !ok {
		return nil, fmt.Errorf("not a PostgreSQL backend: %T", b)
	}
	rows, err := db.pool.Query(ctx, `SELECT * FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		var row []byte
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				row = append(row, b...)
			} else {
				row = fmt.Append(row, v)
			}
			row = append(row, '\t')
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// MigrateDownForTest takes the store in the database at rawURL back to
// schema version v with the migrations' down steps: the store as a program
// whose last migration is v left it. Tests only.
func MigrateDownForTest(ctx context.Context, rawURL string, v int64) error {
	db, err := Open(ctx, rawURL, Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.migrator.DownTo(ctx, v)
	return err
}

// MigrateAheadForTest records in the store at rawURL a migration after
// this program's last as applied, as a newer program would leave it, and
// returns its version. Tests only.
func MigrateAheadForTest(ctx context.Context, rawURL string) (int64, error) {
	db, err := Open(ctx, rawURL, Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	_, v, err := db.migrator.GetVersions(ctx)
	if err != nil {
		return 0, err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO `+versionTable+` (version_id, is_applied) VALUES ($1, true)`, v+1)
	return v + 1, err
}
