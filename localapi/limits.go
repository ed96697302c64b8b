package localapi

import (
	"context"
	"sync/atomic"
	"time"
)

// Limits bound what one request may cost the server. Every number is
// documented in SECURITY.md; the defaults are far above what real clients
// send (the Prefect 1.x client sends one small document per call; the
// legacy Cloud UI deletes in bulk with one aliased delete_secret per
// secret).
type Limits struct {
	MaxQueryBytes    int           // document text
	MaxTokens        int           // lexical tokens in the document
	MaxRootFields    int           // fields at the top of one operation, fragments expanded (aliases count)
	MaxFields        int           // fields in the whole document, fragments expanded
	MaxListFields    int           // top-level fields returning a team-wide list (secret_names, tenant, user)
	MaxDepth         int           // nesting of selections
	MaxOverlapPairs  int           // field pairs graphql-go's overlap validation may compare
	MaxResponseBytes int           // data one document may return
	MaxWriteBytes    int           // set_secret values one document may write
	MaxSecrets       int           // secrets in one team
	Timeout          time.Duration // one document, end to end
	AuthFailures     int           // unknown API keys one client address may send per AuthWindow
	AuthWindow       time.Duration
}

// DefaultMaxSecrets is the default cap on secrets per team.
const DefaultMaxSecrets = 10_000

// DefaultLimits are the limits a server gets unless told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxQueryBytes:    64 << 10,
		MaxTokens:        30_000,
		MaxRootFields:    1_000,
		MaxFields:        5_000,
		MaxListFields:    10,
		MaxDepth:         15,
		MaxOverlapPairs:  10_000,
		MaxResponseBytes: 4 << 20,
		MaxWriteBytes:    4 << 20,
		MaxSecrets:       DefaultMaxSecrets,
		Timeout:          10 * time.Second,
		AuthFailures:     10,
		AuthWindow:       time.Minute,
	}
}

// withDefaults fills zero fields from DefaultLimits, and raises the response
// budget so that one secret_names of a full team of 255-character names
// always fits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxQueryBytes, d.MaxQueryBytes)
	fill(&l.MaxTokens, d.MaxTokens)
	fill(&l.MaxRootFields, d.MaxRootFields)
	fill(&l.MaxFields, d.MaxFields)
	fill(&l.MaxListFields, d.MaxListFields)
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxOverlapPairs, d.MaxOverlapPairs)
	fill(&l.MaxResponseBytes, d.MaxResponseBytes)
	fill(&l.MaxWriteBytes, d.MaxWriteBytes)
	fill(&l.MaxSecrets, d.MaxSecrets)
	fill(&l.AuthFailures, d.AuthFailures)
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.AuthWindow <= 0 {
		l.AuthWindow = d.AuthWindow
	}
	l.MaxResponseBytes = max(l.MaxResponseBytes, l.MaxSecrets*(MaxNameBytes+3)+4096)
	return l
}

// MaxNameBytes is the longest name a response may carry per secret (longer
// names cannot be created).
const MaxNameBytes = 255

// budget counts the bytes a document's resolvers put into the response.
// Resolvers run in parallel, so it is atomic. Once spent, every further
// resolver fails fast and the server answers with one error and no data.
type budget struct {
	limit    int64
	used     atomic.Int64
	exceeded atomic.Bool
}

type budgetKey struct{}

func withBudget(ctx context.Context, b *budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// charge takes n bytes of the request's response budget; it fails once the
// budget is spent or the request is over (client gone, time out).
func charge(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return errRequestOver(ctx)
	}
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return nil
	}
	if b.exceeded.Load() || b.used.Add(int64(n)) > b.limit {
		b.exceeded.Store(true)
		return errResponseTooLarge(b.limit)
	}
	return nil
}

func errResponseTooLarge(limit int64) error {
	return errorf(CodeBadUserInput, "Response too large: this document would return more than %d MiB; ask for fewer fields or aliases per request", limit>>20)
}

func errRequestOver(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		if _, ok := ctx.Value(writeDeadlineKey{}).(writeDeadline); ok {
			return errWriteStopped
		}
		return errorf(CodeBadUserInput, "Request took too long and was stopped; ask for less per request")
	}
	return errorf(CodeBadUserInput, "Request canceled")
}

// A mutation's writes are not cut off by the document's deadline: graphql-go
// would then drop the whole answer, hiding writes that happened. Each
// write checks the deadline instead, before it starts; the answer says
// field by field what was written. A write that started in time still has
// to end: its store calls are stopped one time limit after the deadline, so
// a database that stops answering cannot hold the request for ever.
type writeDeadlineKey struct{}

type writeDeadline struct {
	start time.Time // no write starts after this
	stop  time.Time // the store calls of a write that started end by this
}

// withWriteDeadline marks ctx as a mutation's: writes start only before
// deadline, and run at most grace past it.
func withWriteDeadline(ctx context.Context, deadline time.Time, grace time.Duration) context.Context {
	return context.WithValue(ctx, writeDeadlineKey{}, writeDeadline{start: deadline, stop: deadline.Add(grace)})
}

var errWriteStopped = errorf(CodeAPIError, "The store did not answer in time: this write was stopped, and may or may not have been made; read it back before you try again")

// startWrite begins one write of a mutation: it refuses a write that would
// start after the document's deadline, and bounds the write's store calls
// (see writeDeadline). Call done when the write has ended.
func startWrite(ctx context.Context) (_ context.Context, done context.CancelFunc, err error) {
	d, ok := ctx.Value(writeDeadlineKey{}).(writeDeadline)
	if !ok {
		return ctx, func() {}, nil
	}
	if time.Now().After(d.start) {
		return ctx, func() {}, errorf(CodeBadUserInput, "Request took too long: this write and the ones after it were not made; send fewer per request")
	}
	ctx, done = context.WithDeadline(ctx, d.stop)
	return ctx, done, nil
}
