package postgres

import (
	"context"
	"fmt"

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
