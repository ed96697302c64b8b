package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// stuckStore never answers, not even when its context ends (a system call
// on a hung disk).
type stuckStore struct{ release chan struct{} }

func (s stuckStore) Ready(context.Context) error { <-s.release; return nil }

// A probe gets its answer even when the check under way is stuck: not
// ready, after the check's time limit, never a probe hanging with it.
func TestReadyzAnswersWhileTheStoreIsStuck(t *testing.T) {
	st := stuckStore{release: make(chan struct{})}
	defer close(st.release)
	h := readyHandler(st)
	for range 2 { // the second joins the stuck check
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "did not answer within") {
			t.Fatalf("%d %q", rec.Code, rec.Body.String())
		}
	}
}
