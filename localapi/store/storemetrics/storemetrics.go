// Package storemetrics times every call to a store backend: a decorator
// over store.Backend that observes each call's duration in a histogram
// labelled by the method's name alone (never an argument: no team, name or
// key reaches a label). The histogram is the caller's (package metrics
// registers it); the observers are bound once, so a call costs a clock
// read and an observation.
package storemetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"teamsecrets/localapi/store"
)

// Methods are the label values: every method of store.Backend but Close,
// named as in Go.
var Methods = []string{
	"SecretNames", "SecretExists", "SecretCount", "SealedSecret", "EachSealed", "SecretMetas", "SecretMatches",
	"PutSealed", "PutSealedMany", "DeleteSecret",
	"KeyByHash", "MembershipRole", "TenantByID", "User",
	"Empty", "CreateTenant", "Tenants", "TenantBySlug", "AddMember", "MemberRole", "CreateKey", "Check",
	"KeyCheck", "InitKeyCheck", "ResealAll",
	"Keys", "KeyByID", "DeleteKey", "TouchKey",
	"AppendAudit", "AuditEvents", "AuditCount", "PruneAudit",
	"Ready",
}

// Wrap returns b with the duration of every call (Close aside) observed in
// h, whose one variable label is "method". EachSealed's time includes its
// callback's.
func Wrap(b store.Backend, h prometheus.ObserverVec) store.Backend {
	o := map[string]prometheus.Observer{}
	for _, m := range Methods {
		o[m] = h.WithLabelValues(m)
	}
	return &timed{
		b: b,

		secretNames: o["SecretNames"], secretExists: o["SecretExists"], secretCount: o["SecretCount"],
		sealedSecret: o["SealedSecret"], eachSealed: o["EachSealed"], secretMetas: o["SecretMetas"],
		secretMatches: o["SecretMatches"], putSealed: o["PutSealed"], putSealedMany: o["PutSealedMany"],
		deleteSecret: o["DeleteSecret"],

		keyByHash: o["KeyByHash"], membershipRole: o["MembershipRole"], tenantByID: o["TenantByID"], user: o["User"],

		empty: o["Empty"], createTenant: o["CreateTenant"], tenants: o["Tenants"], tenantBySlug: o["TenantBySlug"],
		addMember: o["AddMember"], memberRole: o["MemberRole"], createKey: o["CreateKey"], check: o["Check"],

		keyCheck: o["KeyCheck"], initKeyCheck: o["InitKeyCheck"], resealAll: o["ResealAll"],

		keys: o["Keys"], keyByID: o["KeyByID"], deleteKey: o["DeleteKey"], touchKey: o["TouchKey"],

		appendAudit: o["AppendAudit"], auditEvents: o["AuditEvents"], auditCount: o["AuditCount"], pruneAudit: o["PruneAudit"],

		ready: o["Ready"],
	}
}

type timed struct {
	b store.Backend

	secretNames, secretExists, secretCount, sealedSecret, eachSealed, secretMetas, secretMatches,
	putSealed, putSealedMany, deleteSecret,
	keyByHash, membershipRole, tenantByID, user,
	empty, createTenant, tenants, tenantBySlug, addMember, memberRole, createKey, check,
	keyCheck, initKeyCheck, resealAll,
	keys, keyByID, deleteKey, touchKey,
	appendAudit, auditEvents, auditCount, pruneAudit,
	ready prometheus.Observer
}

// observe is deferred with the start time taken when the call begins.
func observe(o prometheus.Observer, start time.Time) { o.Observe(time.Since(start).Seconds()) }

// Unwrap returns the backend under the timing.
func (t *timed) Unwrap() store.Backend { return t.b }

func (t *timed) Close() error { return t.b.Close() }

func (t *timed) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	defer observe(t.secretNames, time.Now())
	return t.b.SecretNames(ctx, tenantID)
}

func (t *timed) SecretExists(ctx context.Context, tenantID, name string) (bool, error) {
	defer observe(t.secretExists, time.Now())
	return t.b.SecretExists(ctx, tenantID, name)
}

func (t *timed) SecretCount(ctx context.Context, tenantID string) (int, error) {
	defer observe(t.secretCount, time.Now())
	return t.b.SecretCount(ctx, tenantID)
}

func (t *timed) SealedSecret(ctx context.Context, tenantID, name string) ([]byte, error) {
	defer observe(t.sealedSecret, time.Now())
	return t.b.SealedSecret(ctx, tenantID, name)
}

func (t *timed) EachSealed(ctx context.Context, fn func(store.Sealed) error) error {
	defer observe(t.eachSealed, time.Now())
	return t.b.EachSealed(ctx, fn)
}

func (t *timed) SecretMetas(ctx context.Context, tenantID string, q store.SecretQuery) ([]store.SecretMeta, error) {
	defer observe(t.secretMetas, time.Now())
	return t.b.SecretMetas(ctx, tenantID, q)
}

func (t *timed) SecretMatches(ctx context.Context, tenantID, search string) (int, error) {
	defer observe(t.secretMatches, time.Now())
	return t.b.SecretMatches(ctx, tenantID, search)
}

func (t *timed) PutSealed(ctx context.Context, epoch store.KeyEpoch, tenantID, name, actor string, sealed []byte) error {
	defer observe(t.putSealed, time.Now())
	return t.b.PutSealed(ctx, epoch, tenantID, name, actor, sealed)
}

func (t *timed) PutSealedMany(ctx context.Context, epoch store.KeyEpoch, tenantID, actor string, sealed map[string][]byte) error {
	defer observe(t.putSealedMany, time.Now())
	return t.b.PutSealedMany(ctx, epoch, tenantID, actor, sealed)
}

func (t *timed) ResealAll(ctx context.Context, from store.KeyEpoch, check []byte, reseal func(store.Sealed) ([]byte, error)) (int, error) {
	defer observe(t.resealAll, time.Now())
	return t.b.ResealAll(ctx, from, check, reseal)
}

func (t *timed) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	defer observe(t.deleteSecret, time.Now())
	return t.b.DeleteSecret(ctx, tenantID, name)
}

func (t *timed) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	defer observe(t.keyByHash, time.Now())
	return t.b.KeyByHash(ctx, hash)
}

func (t *timed) MembershipRole(ctx context.Context, userID, tenantID string) (string, error) {
	defer observe(t.membershipRole, time.Now())
	return t.b.MembershipRole(ctx, userID, tenantID)
}

func (t *timed) TenantByID(ctx context.Context, id string) (store.Tenant, error) {
	defer observe(t.tenantByID, time.Now())
	return t.b.TenantByID(ctx, id)
}

func (t *timed) User(ctx context.Context, userID, defaultTenantID string) (store.User, []store.Membership, error) {
	defer observe(t.user, time.Now())
	return t.b.User(ctx, userID, defaultTenantID)
}

func (t *timed) Empty(ctx context.Context) (bool, error) {
	defer observe(t.empty, time.Now())
	return t.b.Empty(ctx)
}

func (t *timed) CreateTenant(ctx context.Context, tn store.Tenant) error {
	defer observe(t.createTenant, time.Now())
	return t.b.CreateTenant(ctx, tn)
}

func (t *timed) Tenants(ctx context.Context) ([]store.Tenant, error) {
	defer observe(t.tenants, time.Now())
	return t.b.Tenants(ctx)
}

func (t *timed) TenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	defer observe(t.tenantBySlug, time.Now())
	return t.b.TenantBySlug(ctx, slug)
}

func (t *timed) AddMember(ctx context.Context, tn store.Tenant, role, username string) error {
	defer observe(t.addMember, time.Now())
	return t.b.AddMember(ctx, tn, role, username)
}

func (t *timed) MemberRole(ctx context.Context, tn store.Tenant, username string) (string, error) {
	defer observe(t.memberRole, time.Now())
	return t.b.MemberRole(ctx, tn, username)
}

func (t *timed) CreateKey(ctx context.Context, k store.NewKey) error {
	defer observe(t.createKey, time.Now())
	return t.b.CreateKey(ctx, k)
}

func (t *timed) Check(ctx context.Context) error {
	defer observe(t.check, time.Now())
	return t.b.Check(ctx)
}

func (t *timed) KeyCheck(ctx context.Context) ([]byte, error) {
	defer observe(t.keyCheck, time.Now())
	return t.b.KeyCheck(ctx)
}

func (t *timed) InitKeyCheck(ctx context.Context, sealed []byte) error {
	defer observe(t.initKeyCheck, time.Now())
	return t.b.InitKeyCheck(ctx, sealed)
}

func (t *timed) Keys(ctx context.Context, tenantID, userID string) ([]store.KeyInfo, error) {
	defer observe(t.keys, time.Now())
	return t.b.Keys(ctx, tenantID, userID)
}

func (t *timed) KeyByID(ctx context.Context, id string) (store.KeyInfo, error) {
	defer observe(t.keyByID, time.Now())
	return t.b.KeyByID(ctx, id)
}

func (t *timed) DeleteKey(ctx context.Context, id string) (bool, error) {
	defer observe(t.deleteKey, time.Now())
	return t.b.DeleteKey(ctx, id)
}

func (t *timed) TouchKey(ctx context.Context, id string, at, since time.Time) (bool, error) {
	defer observe(t.touchKey, time.Now())
	return t.b.TouchKey(ctx, id, at, since)
}

func (t *timed) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	defer observe(t.appendAudit, time.Now())
	return t.b.AppendAudit(ctx, e)
}

func (t *timed) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	defer observe(t.auditEvents, time.Now())
	return t.b.AuditEvents(ctx, q)
}

func (t *timed) AuditCount(ctx context.Context, q store.AuditQuery) (int, error) {
	defer observe(t.auditCount, time.Now())
	return t.b.AuditCount(ctx, q)
}

func (t *timed) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	defer observe(t.pruneAudit, time.Now())
	return t.b.PruneAudit(ctx, before)
}

func (t *timed) Ready(ctx context.Context) error {
	defer observe(t.ready, time.Now())
	return t.b.Ready(ctx)
}
