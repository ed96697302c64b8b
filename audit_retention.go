package main

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"teamsecrets/localapi"
)

// defaultAuditRetention is how long audit events are kept by default.
const defaultAuditRetention = 365 * 24 * time.Hour

// auditPruneEvery is how often a running server prunes the audit trail.
const auditPruneEvery = time.Hour

// retentionValue is --audit-retention: whole days (365d) or a Go duration
// (8760h); 0 keeps events forever.
type retentionValue time.Duration

func (r *retentionValue) String() string {
	d := time.Duration(*r)
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

func (r *retentionValue) Set(s string) error {
	bad := errors.New("use whole days (365d), a duration with its unit (720h), or 0 to keep events forever")
	if s == "0" {
		*r = 0
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return bad
		}
		*r = retentionValue(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return bad
	}
	*r = retentionValue(d)
	return nil
}

// pruneAudit removes audit events older than retention now and then every
// auditPruneEvery until ctx ends; retention 0 keeps them all.
func pruneAudit(ctx context.Context, store *localapi.Store, retention time.Duration) {
	if retention <= 0 {
		return
	}
	prune := func() {
		n, err := store.PruneAudit(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("audit: prune old events", "err", err)
		case n > 0:
			slog.Info("audit: pruned old events", "count", n, "retention", (*retentionValue)(&retention).String())
		}
	}
	prune()
	go func() {
		t := time.NewTicker(auditPruneEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				prune()
			}
		}
	}()
}
