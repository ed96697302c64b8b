package localapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

// A panic inside graphql-go (a resolver bug, or a document graphql-go
// cannot handle) becomes an "Internal error" for the client and one log
// line at ERROR: its type, never its value (it may quote the document, and
// the document may hold a secret value), and no stack. Lines are rate
// limited so that a client repeating such a request cannot flood the log.

type panicAsInternalError struct{}

func (panicAsInternalError) MakePanicError(context.Context, any) *gqlerrors.QueryError {
	return &gqlerrors.QueryError{Message: errInternal.Error(), Extensions: map[string]any{"code": CodeAPIError}}
}

// panicLog writes at most one line per interval and counts the rest.
type panicLog struct {
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
	dropped  int
}

func newPanicLog() *panicLog { return &panicLog{interval: 10 * time.Second} }

func (p *panicLog) LogPanic(ctx context.Context, value any) {
	p.mu.Lock()
	now := time.Now()
	if now.Sub(p.last) < p.interval {
		p.dropped++
		p.mu.Unlock()
		return
	}
	dropped := p.dropped
	p.last, p.dropped = now, 0
	p.mu.Unlock()
	slog.ErrorContext(ctx, "graphql: recovered from a panic while executing a document",
		"type", fmt.Sprintf("%T", value), "suppressed_since_last", dropped)
}
