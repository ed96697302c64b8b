package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The kinds of failure, for callers to choose what to do. Test with
// errors.Is. The client picks no status code or page: the caller (the UI's
// handlers, the commands) decides how each kind is reported.
var (
	ErrUnauthenticated = errors.New("the API key is not valid")
	ErrForbidden       = errors.New("not allowed for this key and team")
	ErrBadInput        = errors.New("the API refused the input")
	ErrNotFound        = errors.New("no such secret")
	ErrUnavailable     = errors.New("the secrets API is unavailable")
	// ErrCanceled: the caller gave up (its context was cancelled) before
	// the API answered.
	ErrCanceled = errors.New("the call was cancelled")
)

// Finer kinds. Each also matches its broader kind: ErrTooLarge is an
// ErrBadInput, the others are ErrUnavailable.
var (
	ErrTooLarge    error = &kind{"the API refused the request as too large", ErrBadInput}
	ErrUnreachable error = &kind{"the secrets API is not reachable", ErrUnavailable}
	ErrRateLimited error = &kind{"the secrets API is rate limiting requests", ErrUnavailable}
	ErrTimeout     error = &kind{"the secrets API did not answer in time", ErrUnavailable}
	// ErrServerError: an HTTP error status (5xx and others) or a GraphQL
	// error of the API's own.
	ErrServerError error = &kind{"the secrets API failed", ErrUnavailable}
	// ErrMalformed: an answer that is not valid GraphQL JSON, or that does
	// not confirm the change asked for.
	ErrMalformed error = &kind{"the secrets API answered nonsense", ErrUnavailable}
)

// kind is a kind of failure that belongs to a broader one.
type kind struct {
	text  string
	broad error
}

func (k *kind) Error() string { return k.text }
func (k *kind) Unwrap() error { return k.broad }

// Error is a failed API call. Message is safe to show a user: it never holds
// a value or a key.
type Error struct {
	Kind       error         // one of the Err* kinds above
	Message    string        // what happened, for people
	RetryAfter time.Duration // from a 429, when known
	Attempts   int           // how many times the call was sent
	Err        error         // the cause, for logs
}

func (e *Error) Error() string   { return e.Message }
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// classify maps whatever a genqlient call returned to an *Error, once, so
// callers only choose what to do with its kind.
func classify(op string, err error, rec *call) error {
	if err == nil {
		return nil
	}
	e := &Error{Err: fmt.Errorf("%s: %w", op, err), Attempts: rec.attempts, RetryAfter: rec.retryAfter}
	var httpErr *graphql.HTTPError
	var gqlErrs gqlerror.List
	var netErr net.Error
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &httpErr):
		switch code := firstCode(httpErr.Response.Errors); {
		case httpErr.StatusCode == http.StatusUnauthorized || code == "UNAUTHENTICATED":
			e.Kind, e.Message = ErrUnauthenticated, "The API key was not accepted."
		case httpErr.StatusCode == http.StatusForbidden || code == "FORBIDDEN":
			e.Kind, e.Message = ErrForbidden, "This key may not do that in this team."
		case httpErr.StatusCode == http.StatusTooManyRequests:
			// How long to wait is in RetryAfter; the caller words it.
			e.Kind, e.Message = ErrRateLimited, "The secrets API is rate limiting requests (429 Too Many Requests)."
		case httpErr.StatusCode == http.StatusRequestEntityTooLarge:
			e.Kind, e.Message = ErrTooLarge, "The API refused the request as too large."
		case httpErr.StatusCode >= 500:
			e.Kind = ErrServerError
			e.Message = fmt.Sprintf("The secrets API failed (HTTP %d %s).", httpErr.StatusCode, http.StatusText(httpErr.StatusCode))
		default:
			e.Kind = ErrServerError
			e.Message = fmt.Sprintf("The secrets API answered HTTP %d %s.", httpErr.StatusCode, http.StatusText(httpErr.StatusCode))
		}
	case errors.As(err, &gqlErrs):
		classifyGraphQL(e, gqlErrs)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.Message = ErrTimeout, "The secrets API did not answer in time."
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message = ErrCanceled, "The request was cancelled."
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind, e.Message = ErrUnreachable, "The secrets API is not reachable (connection refused)."
	case errors.As(err, &syntaxErr) || errors.As(err, &typeErr) || errors.Is(err, errMalformed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.Kind, e.Message = ErrMalformed, "The secrets API sent a response that is not valid GraphQL JSON."
	case errors.As(err, &netErr):
		e.Kind, e.Message = ErrUnreachable, "The secrets API is not reachable (network error)."
	default:
		e.Kind, e.Message = ErrUnavailable, "The secrets API call failed."
	}
	return e
}

// errMalformed marks a 200 response that decoded but made no sense.
var errMalformed = errors.New("malformed response")

func classifyGraphQL(e *Error, errs gqlerror.List) {
	code := firstCode(errs)
	msg := ""
	if len(errs) > 0 {
		msg = errs[0].Message
	}
	switch {
	case code == "UNAUTHENTICATED":
		e.Kind, e.Message = ErrUnauthenticated, "The API key was not accepted."
	case code == "FORBIDDEN":
		e.Kind, e.Message = ErrForbidden, "This key may not do that in this team."
	case code == "BAD_USER_INPUT":
		e.Kind, e.Message = ErrBadInput, apiMessage(msg)
	case strings.Contains(msg, "No value found for the requested key"):
		e.Kind, e.Message = ErrNotFound, "No secret with that name exists."
	default:
		e.Kind, e.Message = ErrServerError, "The secrets API reported an error."
	}
}

// apiMessage keeps a BAD_USER_INPUT message short and printable; the API
// describes the rule that failed, not the input.
func apiMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return "The API refused the input."
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func firstCode(errs gqlerror.List) string {
	for _, e := range errs {
		if c, ok := e.Extensions["code"].(string); ok {
			return c
		}
	}
	return ""
}
