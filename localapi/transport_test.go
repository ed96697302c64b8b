package localapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestTransportServesThroughTheHandler(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("echo:" + string(b) + ":" + r.Header.Get("Authorization")))
	})
	req, _ := http.NewRequest(http.MethodPost, "http://embedded/graphql", strings.NewReader("body"))
	req.Header.Set("Authorization", "Bearer k")
	res, err := (&http.Client{Transport: Transport{Handler: h}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusTeapot || string(b) != "echo:body:Bearer k" || res.Header.Get("Retry-After") != "3" {
		t.Fatalf("%d %q %v", res.StatusCode, b, res.Header)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req = req.WithContext(ctx)
	if _, err := (Transport{Handler: h}).RoundTrip(req); err == nil {
		t.Fatal("a cancelled request was served")
	}
}
