package cloud

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"teamsecrets/requestid"
)

// credentials are the API key and team a call acts with.
type credentials struct{ key, teamID string }

type credentialsKey struct{}

// WithCredentials returns a context whose API calls send this key and, when
// teamID is set, select that team with X-PREFECT-TENANT-ID.
func WithCredentials(ctx context.Context, apiKey, teamID string) context.Context {
	return context.WithValue(ctx, credentialsKey{}, credentials{apiKey, teamID})
}

// call records what the transport saw during one client call.
type call struct {
	retry      bool // the operation is safe to send again
	attempts   int
	retryAfter time.Duration
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// RetryPolicy bounds retries of idempotent calls.
type RetryPolicy struct {
	MaxAttempts    int           // including the first
	BaseDelay      time.Duration // doubled after each attempt, with jitter
	MaxDelay       time.Duration // cap on one wait; a longer Retry-After is not waited for
	AttemptTimeout time.Duration // one attempt, response body included
}

// DefaultRetryPolicy: three attempts, 100 ms then 200 ms apart.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, AttemptTimeout: 5 * time.Second}

// transport is the one place that adds the Authorization and tenant headers,
// bounds each attempt, and retries idempotent calls on 5xx, 429 and
// timeouts.
type transport struct {
	base   http.RoundTripper
	policy RetryPolicy
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	req = req.Clone(ctx)
	if c, ok := ctx.Value(credentialsKey{}).(credentials); ok {
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		if c.teamID != "" {
			req.Header.Set("X-PREFECT-TENANT-ID", c.teamID)
		}
	}
	// The UI's request id, so the API's audit events of one page request
	// (a rename's two writes) are seen as one. Never the browser's address.
	if id := requestid.From(ctx).ID; id != "" {
		req.Header.Set(requestid.Header, id)
	}
	rec, _ := ctx.Value(callKey{}).(*call)
	if rec == nil {
		rec = &call{}
	}
	maxAttempts := 1
	if rec.retry {
		maxAttempts = max(1, t.policy.MaxAttempts)
	}
	for attempt := 1; ; attempt++ {
		rec.attempts = attempt
		resp, err := t.attempt(req)
		retryable := err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retryable || attempt >= maxAttempts || ctx.Err() != nil {
			if resp != nil {
				rec.retryAfter = retryAfter(resp)
			}
			return resp, err
		}
		wait := t.backoff(attempt)
		if resp != nil {
			if ra := retryAfter(resp); ra > 0 {
				if ra > t.policy.MaxDelay {
					rec.retryAfter = ra // too long to wait here; tell the user
					return resp, nil
				}
				wait = ra
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// attempt sends once under the per-attempt timeout, which stays in force
// until the caller closes the response body.
func (t *transport) attempt(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.policy.AttemptTimeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (t *transport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay << (attempt - 1)
	d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
	return min(d, t.policy.MaxDelay)
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
