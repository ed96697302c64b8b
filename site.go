package main

import (
	"io"
	"net/http"

	"teamsecrets/handlers"
	"teamsecrets/localapi"
	"teamsecrets/localapi/store"
	"teamsecrets/metrics"
	"teamsecrets/schema"
)

// site is what the server's main address serves: /healthz, /readyz, the
// local API on /graphql (with its store embedded), the UI on / (withUI),
// and /metrics unless --metrics-addr takes it elsewhere.
type site struct {
	cfg         config
	withUI      bool
	store       *localapi.Store // the embedded API's; nil with --api-url
	apiURL      string          // the API the UI calls
	sessionKeys [][]byte        // the UI's
	metrics     *metrics.Metrics
}

// handler is the main address's handler. Without metrics (benchmarks'
// baseline) nothing is counted and /metrics is not served.
func (s site) handler() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.named("/healthz", http.HandlerFunc(healthz)))
	var apiTransport http.RoundTripper // nil: the network
	var ready readiness                // nil: no store of ours to check
	var shared store.Shared            // nil: this process alone serves the store
	if s.store != nil {
		limits := localapi.DefaultLimits()
		limits.MaxSecrets = s.cfg.MaxSecrets
		opts := []localapi.Option{localapi.WithLimits(limits), localapi.WithTrustProxy(s.cfg.TrustProxy)}
		if s.metrics != nil {
			opts = append(opts, localapi.WithMetrics(s.metrics))
		}
		if shared = s.store.Shared(); shared != nil {
			opts = append(opts, localapi.WithSharedLimits(shared))
		}
		api, err := localapi.NewServer(schema.SDL, s.store, version, opts...)
		if err != nil {
			return nil, err
		}
		mux.Handle("/graphql", s.named("/graphql", api))
		apiTransport = localapi.Transport{Handler: api}
		ready = s.store
	}
	mux.Handle("GET /readyz", s.named("/readyz", readyHandler(ready)))
	switch {
	case s.metrics == nil:
	case s.cfg.MetricsAddr == "":
		mux.Handle("GET /metrics", s.named("/metrics", s.metrics.Handler()))
	default:
		// Only on --metrics-addr: here it is as absent as any unknown path
		// (not the UI's sign-in redirect).
		mux.Handle("/metrics", http.NotFoundHandler())
	}
	if s.withUI {
		var m handlers.Metrics
		if s.metrics != nil {
			m = s.metrics
		}
		mux.Handle("/", newUI(s.cfg, s.sessionKeys, s.apiURL, apiTransport, m, shared))
	}
	h := handlers.SecurityHeaders(mux, s.cfg.SecureCookies)
	if s.metrics != nil {
		h = s.metrics.Instrument(h)
	}
	return h, nil
}

// metricsHandler is --metrics-addr's handler: /metrics alone.
func (s site) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.named("/metrics", s.metrics.Handler()))
	return s.metrics.Instrument(handlers.SecurityHeaders(mux, false))
}

// named counts h's requests under a fixed route name.
func (s site) named(route string, h http.Handler) http.Handler {
	if s.metrics == nil {
		return h
	}
	return s.metrics.Named(route, h)
}

// healthz is liveness: the process serves HTTP. It asks nothing of the
// store (that is /readyz).
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}
