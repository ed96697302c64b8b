// Package metrics is the server's Prometheus metrics: one registry per
// server (nothing global, so servers and tests never share counts), with
// the Go runtime and process collectors, and what the server counts:
//
//	teamsecrets_http_requests_total{route,method,code}        counter
//	teamsecrets_http_request_duration_seconds{route,method}   histogram
//	teamsecrets_api_requests_total{operation,outcome}         counter
//	teamsecrets_api_request_duration_seconds{operation}       histogram
//	teamsecrets_store_call_duration_seconds{method}           histogram
//	teamsecrets_limiter_refusals_total{limiter}               counter
//	teamsecrets_build_info{version}                           gauge, 1
//
// Every label value comes from a fixed set: a route pattern (echo's, or a
// fixed name of the server's own routes), an HTTP method and status code
// (promhttp's sets), an operation of the schema, an outcome, a store method
// name, a limiter's name. No label ever holds request text: no secret
// name, team, key, user or client address.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/storemetrics"
)

// Label values of their own.
const (
	// Unmatched is the route of a request no route took (404s, and
	// requests refused before routing, such as cross-origin writes).
	Unmatched = "unmatched"
	// LimiterSignIn is the UI's failed sign-in limit; LimiterAPIKey the
	// local API's failed API-key limit.
	LimiterSignIn = "sign_in"
	LimiterAPIKey = "api_key"
)

// Metrics is one server's registry and collectors. Its methods are safe
// for concurrent use.
type Metrics struct {
	reg           *prometheus.Registry
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	apiRequests   *prometheus.CounterVec
	apiDuration   *prometheus.HistogramVec
	storeDuration *prometheus.HistogramVec
	signIn        prometheus.Counter
	apiKey        prometheus.Counter
}

// New makes the registry of a server of this version.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsecrets_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "teamsecrets_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teamsecrets_api_requests_total",
			Help: "Local API requests (the UI's in-process calls included), by top-level field of the schema and outcome.",
		}, []string{"operation", "outcome"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "teamsecrets_api_request_duration_seconds",
			Help:    "Time to answer a local API request, by top-level field of the schema.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "teamsecrets_store_call_duration_seconds",
			Help:    "Time of a call to the store backend, by method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
		}, []string{"method"}),
	}
	refusals := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teamsecrets_limiter_refusals_total",
		Help: "Requests refused by a failed-attempt limit: sign_in (the UI's sign-in form) or api_key (the local API's keys), per client address.",
	}, []string{"limiter"})
	m.signIn, m.apiKey = refusals.WithLabelValues(LimiterSignIn), refusals.WithLabelValues(LimiterAPIKey)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "teamsecrets_build_info",
		Help: "Always 1, labelled with the server's version.",
	}, []string{"version"})
	build.WithLabelValues(version).Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.apiRequests, m.apiDuration, m.storeDuration, refusals, build,
	)
	return m
}

// Handler serves the registry in Prometheus's text format (or what the
// scraper asks for), never cached. One scrape runs at a time (a scrape
// costs a few milliseconds of CPU; more at once answer 503), so anyone who
// can reach it cannot make it cost more than a scraper does.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 1})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// routeKey holds a request's *route in its context.
type routeKey struct{}

// route is the pattern the handler that took a request names (Route).
// fixed: the request is counted as Unmatched whatever the handler says.
type route struct {
	pattern string
	fixed   bool
}

// Instrument counts and times every request next answers, under the route
// pattern the handler that took it names with Route (Unmatched if none).
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	byRoute := promhttp.WithLabelFromCtx("route", func(ctx context.Context) string {
		if rt, ok := ctx.Value(routeKey{}).(*route); ok && rt.pattern != "" {
			return rt.pattern
		}
		return Unmatched
	})
	h := promhttp.InstrumentHandlerDuration(m.httpDuration,
		promhttp.InstrumentHandlerCounter(m.httpRequests, next, byRoute), byRoute)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := &route{}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		default:
			// No route takes other methods: counting them by route would
			// only let a client add series.
			rt.fixed = true
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
	})
}

// Route names the route pattern that took the request of ctx: a fixed
// name, or the router's pattern (e.g. /teams/:slug/secrets), never the
// request's path. "" leaves it Unmatched.
func (m *Metrics) Route(ctx context.Context, pattern string) {
	if rt, ok := ctx.Value(routeKey{}).(*route); ok && !rt.fixed {
		rt.pattern = pattern
	}
}

// Named is h, its requests counted under the fixed route name.
func (m *Metrics) Named(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Route(r.Context(), name)
		h.ServeHTTP(w, r)
	})
}

// APICall counts a local API request (localapi.Metrics).
func (m *Metrics) APICall(operation, outcome string, d time.Duration) {
	m.apiRequests.WithLabelValues(operation, outcome).Inc()
	m.apiDuration.WithLabelValues(operation).Observe(d.Seconds())
}

// APIKeyRefused counts a request the API-key failure limit refused.
func (m *Metrics) APIKeyRefused() { m.apiKey.Inc() }

// SignInRefused counts a sign-in the UI's failure limit refused.
func (m *Metrics) SignInRefused() { m.signIn.Inc() }

// Store is b with the duration of every call observed by method.
func (m *Metrics) Store(b store.Backend) store.Backend {
	return storemetrics.Wrap(b, m.storeDuration)
}
