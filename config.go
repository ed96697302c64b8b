package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"teamsecrets/handlers"
	"teamsecrets/localapi"
)

// The command line's own defaults; the UI's come from
// handlers.DefaultConfig and the local API's from localapi.
const (
	defaultAddr    = "127.0.0.1:8080"
	defaultDataDir = "./data"
	defaultAPIURL  = "http://" + defaultAddr + "/graphql" // the local server's embedded API, for run and import
)

// config is the server's configuration: flags with environment fallbacks.
type config struct {
	Addr          string
	APIURL        string
	DataDir       string
	TLSCert       string
	TLSKey        string
	SecureCookies bool
	TrustProxy    bool
	IdleTimeout   time.Duration
	MaxLifetime   time.Duration
	APITimeout    time.Duration
	MaxSecrets    int

	printVersion bool
}

// defaultConfig is every default of the server's flags.
func defaultConfig() config {
	ui := handlers.DefaultConfig()
	return config{
		Addr:        defaultAddr,
		DataDir:     defaultDataDir,
		IdleTimeout: ui.IdleTimeout,
		MaxLifetime: ui.MaxLifetime,
		APITimeout:  ui.APITimeout,
		MaxSecrets:  localapi.DefaultMaxSecrets,
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

// envInt reads a positive integer; an invalid value is an error, as an
// invalid flag is.
func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a whole number of at least 1", name)
	}
	return n, nil
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// newServerFlags is the flag set of the server command c (the UI with the
// local API embedded, or with "api" the local API alone), filling cfg.
func newServerFlags(c command, cfg *config) *flag.FlagSet {
	withUI := c.name == ""
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", envOr("TEAMSECRETS_ADDR", cfg.Addr), "where the server listens (TEAMSECRETS_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr("TEAMSECRETS_DATA_DIR", cfg.DataDir), "local API store, master key and session keys (TEAMSECRETS_DATA_DIR)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", envOr("TEAMSECRETS_TLS_CERT", ""), "serve HTTPS with this certificate file (TEAMSECRETS_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", envOr("TEAMSECRETS_TLS_KEY", ""), "private key for --tls-cert (TEAMSECRETS_TLS_KEY)")
	fs.IntVar(&cfg.MaxSecrets, "max-secrets-per-team", cfg.MaxSecrets, "local API: most secrets one team may hold (TEAMSECRETS_MAX_SECRETS_PER_TEAM)")
	fs.BoolVar(&cfg.TrustProxy, "trust-proxy", envBool("TEAMSECRETS_TRUST_PROXY"), "take the client address from X-Forwarded-For, for sign-in and API-key limits (only behind a proxy you run) (TEAMSECRETS_TRUST_PROXY)")
	if withUI {
		fs.StringVar(&cfg.APIURL, "api-url", envOr("TEAMSECRETS_API_URL", ""), "a Cloud-compatible GraphQL endpoint, e.g. https://api.prefect.io; empty runs the local API embedded (TEAMSECRETS_API_URL)")
		fs.BoolVar(&cfg.SecureCookies, "secure-cookies", envBool("TEAMSECRETS_SECURE_COOKIES"), "behind a TLS-terminating proxy: mark cookies Secure and send Strict-Transport-Security as with TLS here (TEAMSECRETS_SECURE_COOKIES)")
		fs.DurationVar(&cfg.IdleTimeout, "session-idle", envDuration("TEAMSECRETS_SESSION_IDLE", cfg.IdleTimeout), "sign out after this long without a request (TEAMSECRETS_SESSION_IDLE)")
		fs.DurationVar(&cfg.MaxLifetime, "session-max", envDuration("TEAMSECRETS_SESSION_MAX", cfg.MaxLifetime), "sign out this long after sign-in, whatever happens (TEAMSECRETS_SESSION_MAX)")
		fs.DurationVar(&cfg.APITimeout, "api-timeout", envDuration("TEAMSECRETS_API_TIMEOUT", cfg.APITimeout), "give up on the GraphQL API after this long, retries included (TEAMSECRETS_API_TIMEOUT)")
	}
	fs.BoolVar(&cfg.printVersion, "version", false, "print the version and exit")
	more := `Each flag falls back to the environment variable named with it.

Environment only:
  TEAMSECRETS_BOOTSTRAP_KEY  the first TENANT_ADMIN key on an empty store (default: generated, printed once)
  TEAMSECRETS_MASTER_KEY     base64 32-byte key for values at rest (default: generated into the data dir)
`
	if withUI {
		more += "  TEAMSECRETS_SESSION_KEYS   comma-separated session keys, newest first (default: generated into the data dir)\n"
	}
	more += `
SIGTERM, SIGINT and SIGHUP stop the server gracefully: requests in flight
finish (for at most ` + shutdownTimeout.String() + `); a second signal stops it at once.
`
	c.setUsage(fs, more)
	return fs
}

// parseConfig reads the flags of server command c; every flag falls back
// to its TEAMSECRETS_* environment variable. The flag set is for
// usageFailed.
func parseConfig(c command, args []string) (config, *flag.FlagSet, error) {
	cfg := defaultConfig()
	maxSecrets, envErr := envInt("TEAMSECRETS_MAX_SECRETS_PER_TEAM", cfg.MaxSecrets)
	if envErr == nil {
		cfg.MaxSecrets = maxSecrets
	}
	fs := newServerFlags(c, &cfg)
	if envErr != nil {
		return cfg, fs, envErr
	}
	rest, err := parseArgs(fs, args, false)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err == nil && cfg.MaxSecrets < 1 {
		err = fmt.Errorf("--max-secrets-per-team must be at least 1")
	}
	if err == nil && (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		err = fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return cfg, fs, err
}
