package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"teamsecrets/localapi/store"
)

// resealBatch is how many values ResealAll holds in memory at a time.
const resealBatch = 500

// ResealAll replaces every sealed value with what reseal makes of it, and
// the key check with check, in one transaction (see store.Rekey). It reads
// the values in batches by primary key, and updates a batch only after
// reading it: no statement reads the table while another changes it.
func (db *DB) ResealAll(ctx context.Context, from store.KeyEpoch, check []byte, reseal func(store.Sealed) ([]byte, error)) (int, error) {
	if from == nil || check == nil {
		return 0, fmt.Errorf("reseal: the current and the new key check are both needed")
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, dbError(err)
	}
	defer tx.Rollback()
	if err := checkEpoch(ctx, tx, from); err != nil {
		return 0, err
	}
	update, err := tx.PrepareContext(ctx, `UPDATE secret SET sealed = ? WHERE tenant_id = ? AND name = ?`)
	if err != nil {
		return 0, dbError(err)
	}
	defer update.Close()
	n := 0
	var after store.Sealed // the last value of the previous batch
	for {
		batch, err := sealedAfter(ctx, tx, after, resealBatch)
		if err != nil {
			return 0, err
		}
		for _, s := range batch {
			v, err := reseal(s)
			if err != nil {
				return 0, err
			}
			if _, err := update.ExecContext(ctx, v, s.TenantID, s.Name); err != nil {
				return 0, fmt.Errorf("reseal: %w", dbError(err))
			}
			n++
		}
		if len(batch) < resealBatch {
			break
		}
		after = batch[len(batch)-1]
	}
	res, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE name = 'key_check'`, check)
	if err != nil {
		return 0, fmt.Errorf("reseal: replace the key check: %w", dbError(err))
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return 0, fmt.Errorf("reseal: replace the key check: %d rows, %v", k, err)
	}
	if err := appendAudit(ctx, tx, store.AuditEvent{
		Action: store.AuditMasterKeyRotated, Outcome: store.OutcomeOK, Target: fmt.Sprintf("%d values resealed", n),
	}); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("reseal: %w", dbError(err))
	}
	return n, nil
}

// sealedAfter reads up to limit values after the one named by after (its
// team id and name; zero: from the first), in primary key order.
func sealedAfter(ctx context.Context, tx *sql.Tx, after store.Sealed, limit int) ([]store.Sealed, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id, name, sealed FROM secret
		WHERE (tenant_id, name) > (?, ?) ORDER BY tenant_id, name LIMIT ?`, after.TenantID, after.Name, limit)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	batch := make([]store.Sealed, 0, limit)
	for rows.Next() {
		var s store.Sealed
		if err := rows.Scan(&s.TenantID, &s.Name, &s.Value); err != nil {
			return nil, err
		}
		batch = append(batch, s)
	}
	return batch, dbError(rows.Err())
}
