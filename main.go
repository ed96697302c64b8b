// Command teamsecrets serves the Team → Secrets web UI and, unless pointed at
// another Cloud-compatible API, a local secrets API on the same port.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/metrics"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// shutdownTimeout bounds how long a stopping server waits for the
// requests in flight.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := shutdownContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// shutdownContext ends at the first SIGTERM, SIGINT or SIGHUP, and
// context.Cause names the signal. Then the signals have their default
// effect again: a second one stops the process at once. A signal the
// process started with ignored (SIGHUP under nohup, SIGINT in a background
// job) stays ignored.
func shutdownContext() (context.Context, context.CancelFunc) {
	sigs := []os.Signal{syscall.SIGTERM}
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)))
	c, rest, err := findCommand(args)
	if err != nil {
		return commandUnknown(args, err, stdout, stderr)
	}
	return c.main(ctx, c, rest, stdout, stderr)
}

// serveCmd runs the server: the UI with the local API embedded (or using
// --api-url's), or with "api" the local API alone.
func serveCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	cfg, fs, err := parseConfig(c, args)
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	if cfg.printVersion {
		fmt.Fprintln(stdout, versionText())
		return 0
	}
	if err := serve(ctx, cfg, stdout, c.name == ""); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// serve runs until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg config, stdout io.Writer, withUI bool) error {
	start := time.Now()
	// Listen before anything is created: when a port is taken (or the
	// certificate unusable), no store is made and no first key printed for
	// a server that never ran.
	ln, tlsConfig, err := listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = listenOn(cfg.MetricsAddr, "--metrics-addr"); err != nil {
			return err
		}
		defer metricsLn.Close()
	}
	s := site{cfg: cfg, withUI: withUI, metrics: metrics.New(version)}
	if withUI {
		if s.sessionKeys, err = loadSessionKeys(cfg.DataDir); err != nil {
			return err
		}
	}

	hint := ""
	if cfg.APIURL == "" {
		if k := os.Getenv(localapi.BootstrapKeyEnv); k != "" {
			if err := localapi.CheckChosenKey(k); err != nil {
				return err
			}
		}
		// SQLite: holds the data directory's lock until closed.
		where := storeLocation{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, CreateStore: cfg.CreateStore}
		store, err := where.open(ctx, localapi.AsServer)
		if err != nil {
			return err
		}
		if cfg.DatabaseURL != "" {
			slog.Info("store: PostgreSQL", "database", localapi.RedactDatabaseURL(cfg.DatabaseURL))
			if withUI && strings.TrimSpace(os.Getenv(SessionKeysEnv)) == "" {
				// Each instance would sign its cookies with its own key.
				slog.Warn("sessions: "+SessionKeysEnv+" is not set, so this instance signs sessions with the key in its data directory; "+
					"behind a load balancer, set "+SessionKeysEnv+" alike on every instance, or users are signed out when they reach another one",
					"data_dir", cfg.DataDir)
			}
		}
		defer store.Close()
		s.store = store.Wrapped(s.metrics.Store)
		key, created, err := localapi.Bootstrap(ctx, s.store, os.Getenv(localapi.BootstrapKeyEnv))
		if err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
		if created && os.Getenv(localapi.BootstrapKeyEnv) == "" {
			fmt.Fprintf(stdout, "\nFirst start: created team \"default\" and a TENANT_ADMIN API key.\n"+
				"It is shown only this once; store it now:\n\n    %s\n\n", key)
		}
		if !created {
			hint = lostKeyHint(where)
		}
		pruneAudit(ctx, s.store, cfg.AuditRetention)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	s.apiURL = cfg.APIURL
	if s.apiURL == "" {
		s.apiURL = fmt.Sprintf("http://%s/graphql", ln.Addr())
	}
	h, err := s.handler()
	if err != nil {
		return err
	}
	if withUI {
		fmt.Fprintf(stdout, "Team Secrets: %s://%s/  (API: %s)\n", scheme, ln.Addr(), shownURL(s.apiURL))
	} else {
		fmt.Fprintf(stdout, "Local secrets API: %s://%s/graphql\n", scheme, ln.Addr())
	}
	servers := []*http.Server{newHTTPServer(h, tlsConfig)}
	listeners := []net.Listener{ln}
	if metricsLn != nil {
		fmt.Fprintf(stdout, "Metrics: http://%s/metrics\n", metricsLn.Addr())
		servers = append(servers, newHTTPServer(s.metricsHandler(), nil))
		listeners = append(listeners, metricsLn)
	}
	fmt.Fprint(stdout, hint)
	logAttrs := []any{"addr", ln.Addr().String()}
	if metricsLn != nil {
		logAttrs = append(logAttrs, "metrics_addr", metricsLn.Addr().String())
	}
	slog.Info("listening", append(logAttrs, "startup", time.Since(start).Round(time.Millisecond).String())...)

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() {
			if srv.TLSConfig != nil {
				errc <- srv.ServeTLS(listeners[i], "", "") // the certificate is in TLSConfig
			} else {
				errc <- srv.Serve(listeners[i])
			}
		}()
	}
	var failed error
	select {
	case failed = <-errc:
		slog.Error("a listener failed; shutting down", "err", failed)
	case <-ctx.Done():
		slog.Info("shutting down", "cause", context.Cause(ctx).Error(), "wait_at_most", shutdownTimeout.String())
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil && failed == nil {
			failed = fmt.Errorf("stopped with requests unfinished after %s: %w", shutdownTimeout, err)
		}
	}
	if failed != nil {
		return failed
	}
	slog.Info("stopped")
	return nil
}

// newHTTPServer serves h with the server's timeouts and limits.
func newHTTPServer(h http.Handler, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
}

// listen binds --addr, with TLS's certificate loaded if one is set.
func listen(cfg config) (net.Listener, *tls.Config, error) {
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert and --tls-key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln, err := listenOn(cfg.Addr, "--addr")
	return ln, tlsConfig, err
}

// listenOn binds addr, the value of flag.
func listenOn(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: something else listens there; choose another address with %s", err, flag)
	}
	return ln, err
}

// lostKeyHint says, on a start that found the store made, how to get an
// admin key when the one printed on the first start is lost: that start
// made user admin a TENANT_ADMIN of team default. It never shows the
// database's password.
func lostKeyHint(where storeLocation) string {
	dataDir := where.DataDir
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	database, note := "", ""
	if where.DatabaseURL != "" {
		shown := localapi.RedactDatabaseURL(where.DatabaseURL)
		database = " --database-url " + shellQuote(shown)
		if shown != where.DatabaseURL {
			note = "    (with the database's password for xxxxx, or leave --database-url out with TEAMSECRETS_DATABASE_URL set as for the server)\n"
		}
	}
	return "Lost the API key printed on the first start? Make a new one (printed once) with:\n" +
		"    teamsecrets key create --team default --role TENANT_ADMIN --user admin" + database + " --data-dir " + shellQuote(dataDir) + "\n" + note
}

// shellQuote quotes s for a POSIX shell when it holds more than letters,
// digits and a few safe punctuation marks.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shownURL is raw for messages: a password in it is replaced by xxxxx.
func shownURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}
