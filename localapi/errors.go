package localapi

import (
	"teamsecrets/requestid"

	"context"
	"errors"
	"fmt"
	"log/slog"

	"teamsecrets/localapi/store"
)

// Error codes in extensions.code, as Prefect Cloud sends them.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeAPIError        = "API_ERROR"
)

// NoValueMessage is the text the Prefect client maps to KeyError.
const NoValueMessage = "No value found for the requested key"

// apiError is a GraphQL error with extensions.code. Messages never include a
// secret value or a key.
type apiError struct {
	code, msg string
}

func (e *apiError) Error() string { return e.msg }

// Extensions makes graphql-go put the code into the error's extensions.
func (e *apiError) Extensions() map[string]interface{} {
	return map[string]interface{}{"code": e.code}
}

func errorf(code, format string, args ...any) error {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

var (
	errUnauthenticated = errorf(CodeUnauthenticated, "Unauthenticated: a valid API key is required (Authorization: Bearer <key>)")
	errNotMember       = errorf(CodeForbidden, "Forbidden: this API key has no membership in the requested team")
	errReadOnly        = errorf(CodeForbidden, "Forbidden: this API key is read-only in this team and cannot change secrets")
	errInternal        = errorf(CodeAPIError, "Internal error; the server log has details")
	errStorageFull     = errorf(CodeAPIError, "The server's storage is full: nothing was changed. Its operator must free disk space")
)

// internal is the one way a store failure reaches a client: logged, and
// answered "Internal error", or that the storage is full (the operator
// must act; the caller can only retry later). A request that was over
// already (deadline, client gone) failed for that reason: nothing to log.
func internal(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return errRequestOver(ctx)
	}
	if errors.Is(err, store.ErrFull) {
		slog.ErrorContext(ctx, what+": storage is full; free disk space", "err", err)
		return errStorageFull
	}
	slog.ErrorContext(ctx, what, "err", err, "request_id", requestid.From(ctx).ID)
	return errInternal
}
