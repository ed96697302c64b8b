package localapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"teamsecrets/clientaddr"
	"teamsecrets/localapi/store"
	"teamsecrets/requestid"
)

// The audit trail, API side: every request gets an id (a client's valid
// X-Request-ID, else a new one), returned in X-Request-ID and recorded in
// each event the request causes; the store records each change's event in
// the change's transaction (store.WithAuditor), and this file records the
// refused authentications, which change nothing.

// requestInfo is the request's id and client address. A remote client's
// address is the connection's (or X-Forwarded-For with trustProxy); an
// in-process caller (the embedded UI) passes its own browser's in the
// context, which no remote client can set.
func (s *Server) requestInfo(r *http.Request) requestid.Info {
	if isInProcess(r.Context()) {
		info := requestid.From(r.Context())
		if !requestid.Valid(info.ID) {
			info.ID = requestid.New()
		}
		return info
	}
	info := requestid.Info{ID: r.Header.Get(requestid.Header), ClientAddr: clientaddr.Of(r, s.trustProxy)}
	if !requestid.Valid(info.ID) {
		info.ID = requestid.New()
	}
	return info
}

// auditing returns ctx with who acts in it for the store's audit events:
// actor (the key's user, or "team key"), the key, the request.
func auditing(ctx context.Context, id identity, actor string) context.Context {
	info := requestid.From(ctx)
	return store.WithAuditor(ctx, store.Auditor{Actor: actor, KeyID: id.KeyID, RequestID: info.ID, ClientAddr: info.ClientAddr})
}

// refusalLog bounds the refused authentications recorded: one per client
// address per minute, and at most refusalsPerMinute in all, so a flood from
// many addresses cannot grow the trail without bound. The rest are counted
// in the log.
type refusalLog struct {
	mu      sync.Mutex
	minute  int64
	seen    map[string]bool
	dropped int
}

const refusalsPerMinute = 20

// allow reports whether a refusal from addr at now is recorded.
func (l *refusalLog) allow(addr string, now time.Time) (ok bool, droppedBefore int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := now.Unix() / 60
	if m != l.minute || l.seen == nil {
		droppedBefore, l.dropped = l.dropped, 0
		l.minute, l.seen = m, map[string]bool{}
	}
	if l.seen[addr] || len(l.seen) >= refusalsPerMinute {
		l.dropped++
		return false, droppedBefore
	}
	l.seen[addr] = true
	return true, droppedBefore
}

// recordRefusal records a refused authentication (never the key, nor any
// part of it): an unknown key in no team, an expired one in its team.
func (s *Server) recordRefusal(ctx context.Context, info requestid.Info, expired *store.Key) {
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	ok, dropped := s.refusals.allow(info.ClientAddr, now)
	if dropped > 0 {
		slog.WarnContext(ctx, "api: refused authentications not recorded in the audit trail (at most one per address per minute)", "count", dropped)
	}
	if !ok {
		return
	}
	e := store.AuditEvent{Time: now, Action: store.AuditAuthRefused, Outcome: store.OutcomeRefused,
		Target: "unknown key", Auditor: store.Auditor{RequestID: info.ID, ClientAddr: info.ClientAddr}}
	if expired != nil {
		e.TenantID, e.KeyID, e.Target = expired.TenantID, expired.ID, "expired key"
	}
	if err := s.keys.AppendAudit(ctx, e); err != nil {
		slog.ErrorContext(ctx, "api: record refused authentication", "err", err, "request_id", info.ID)
	}
}
