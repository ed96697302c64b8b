package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
)

// resealBatch is how many values ResealAll holds in memory at a time.
const resealBatch = 500

// ResealAll replaces every sealed value with what reseal makes of it, and
// the key check with check, in one transaction (see store.Rekey). The key
// check row is locked FOR UPDATE first: writers on every instance hold it
// FOR SHARE (checkEpoch), so those in flight finish before the reseal
// reads a value, and those after it find the new check and seal again.
func (db *DB) ResealAll(ctx context.Context, from store.KeyEpoch, check []byte, reseal func(store.Sealed) ([]byte, error)) (int, error) {
	if from == nil || check == nil {
		return 0, fmt.Errorf("reseal: the current and the new key check are both needed")
	}
	n := 0
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var v []byte
		err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE name = 'key_check' FOR UPDATE`).Scan(&v)
		if rowMissing(err) || err == nil && !bytes.Equal(v, from) {
			return store.ErrKeyChanged
		}
		if err != nil {
			return db.err(err)
		}
		var after store.Sealed // the last value of the previous batch
		for {
			batch, err := db.sealedAfter(ctx, tx, after, resealBatch)
			if err != nil {
				return err
			}
			tenants := make([]string, len(batch))
			names := make([]string, len(batch))
			values := make([][]byte, len(batch))
			for i, s := range batch {
				if values[i], err = reseal(s); err != nil {
					return err
				}
				tenants[i], names[i] = s.TenantID, s.Name
			}
			if len(batch) > 0 {
				if _, err := tx.Exec(ctx, `UPDATE secret AS s SET sealed = u.sealed
					FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(tenant_id, name, sealed)
					WHERE s.tenant_id = u.tenant_id AND s.name = u.name`, tenants, names, values); err != nil {
					return fmt.Errorf("reseal: %w", db.err(err))
				}
			}
			n += len(batch)
			if len(batch) < resealBatch {
				break
			}
			after = batch[len(batch)-1]
		}
		if _, err := tx.Exec(ctx, `UPDATE meta SET value = $1 WHERE name = 'key_check'`, check); err != nil {
			return fmt.Errorf("reseal: replace the key check: %w", db.err(err))
		}
		return db.appendAudit(ctx, tx, store.AuditEvent{
			Action: store.AuditMasterKeyRotated, Outcome: store.OutcomeOK, Target: fmt.Sprintf("%d values resealed", n),
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// sealedAfter reads up to limit values after the one named by after (its
// team id and name; zero: from the first), in primary key order.
func (db *DB) sealedAfter(ctx context.Context, tx pgx.Tx, after store.Sealed, limit int) ([]store.Sealed, error) {
	rows, err := tx.Query(ctx, `SELECT tenant_id, name, sealed FROM secret
		WHERE (tenant_id, name) > ($1, $2) ORDER BY tenant_id, name LIMIT $3`, after.TenantID, after.Name, limit)
	if err != nil {
		return nil, db.err(err)
	}
	batch := make([]store.Sealed, 0, limit)
	for rows.Next() {
		var s store.Sealed
		if err := rows.Scan(&s.TenantID, &s.Name, &s.Value); err != nil {
			rows.Close()
			return nil, db.err(err)
		}
		batch = append(batch, s)
	}
	return batch, db.err(rows.Err())
}
