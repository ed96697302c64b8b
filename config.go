package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
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
	Addr    string
	APIURL  string
	DataDir string
	// DatabaseURL is the local API's PostgreSQL database; empty: SQLite in
	// DataDir.
	DatabaseURL string
	// CreateStore lets the server make a new store in an empty database
	// at DatabaseURL.
	CreateStore   bool
	TLSCert       string
	TLSKey        string
	SecureCookies bool
	TrustProxy    bool
	IdleTimeout   time.Duration
	MaxLifetime   time.Duration
	APITimeout    time.Duration
	MaxSecrets    int
	// AuditRetention is how long audit events are kept; 0: forever.
	AuditRetention time.Duration
	// MetricsAddr is where /metrics is served alone; empty: on Addr.
	MetricsAddr string

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

		AuditRetention: defaultAuditRetention,
		MetricsAddr:    "", // /metrics on Addr
	}
}

// flagEnv names each flag's environment fallback. These names are stable:
// scripts and deployments depend on them.
var flagEnv = map[string]string{
	"addr":                 "TEAMSECRETS_ADDR",
	"api-url":              "TEAMSECRETS_API_URL",
	"data-dir":             "TEAMSECRETS_DATA_DIR",
	"database-url":         "TEAMSECRETS_DATABASE_URL",
	"create-store":         "TEAMSECRETS_CREATE_STORE",
	"tls-cert":             "TEAMSECRETS_TLS_CERT",
	"tls-key":              "TEAMSECRETS_TLS_KEY",
	"secure-cookies":       "TEAMSECRETS_SECURE_COOKIES",
	"trust-proxy":          "TEAMSECRETS_TRUST_PROXY",
	"max-secrets-per-team": "TEAMSECRETS_MAX_SECRETS_PER_TEAM",
	"session-idle":         "TEAMSECRETS_SESSION_IDLE",
	"session-max":          "TEAMSECRETS_SESSION_MAX",
	"api-timeout":          "TEAMSECRETS_API_TIMEOUT",
	"audit-retention":      "TEAMSECRETS_AUDIT_RETENTION",
	"metrics-addr":         "TEAMSECRETS_METRICS_ADDR",
}

// describeEnv adds each flag's environment variable to its --help text.
func describeEnv(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if env, ok := flagEnv[f.Name]; ok {
			f.Usage += " (" + env + ")"
		}
	})
}

// applyEnv gives each flag not set on the command line its environment
// variable's value, if set and not empty, checked exactly as the flag is:
// a value the flag would refuse is an error naming the variable.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env, ok := flagEnv[f.Name]
		v := os.Getenv(env)
		if !ok || given[f.Name] || v == "" || err != nil {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("invalid value %q for %s: %v", v, env, e)
		}
	})
	return err
}

// boolValue is a flag's true or false; the flag package's own says only
// "parse error" about a wrong value.
type boolValue bool

func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("use true or false (or 1 or 0)")
	}
	*b = boolValue(v)
	return nil
}

// durationValue is a duration above zero: an idle time, a lifetime or a
// timeout of zero would silently mean something else.
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return errors.New("use a duration above zero with its unit, e.g. 90s, 30m or 12h")
	}
	*d = durationValue(v)
	return nil
}

// addrValue is a listening address, host:port (the host may be empty:
// every interface), or empty.
type addrValue string

func (a *addrValue) String() string { return string(*a) }
func (a *addrValue) Set(s string) error {
	if s != "" {
		_, port, err := net.SplitHostPort(s)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return errors.New("use host:port, e.g. 127.0.0.1:9090 (or :9090 for every interface)")
		}
	}
	*a = addrValue(s)
	return nil
}

// countValue is a whole number of at least 1.
type countValue int

func (n *countValue) String() string { return strconv.Itoa(int(*n)) }
func (n *countValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return errors.New("use a whole number of at least 1")
	}
	*n = countValue(v)
	return nil
}

// newServerFlags is the flag set of the server command c (the UI with the
// local API embedded, or with "api" the local API alone), filling cfg.
func newServerFlags(c command, cfg *config) *flag.FlagSet {
	withUI := c.name == ""
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "where the server listens")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "local API store, master key and session keys")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "local API: keep the store in this PostgreSQL database (postgres://USER@HOST/DB), which several instances may share, instead of SQLite in --data-dir")
	fs.Var((*boolValue)(&cfg.CreateStore), "create-store", "with --database-url: make a new store if the database holds none (a deployment's first start); without it an empty database is refused")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "serve HTTPS with this certificate file")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "private key for --tls-cert")
	fs.Var((*countValue)(&cfg.MaxSecrets), "max-secrets-per-team", "local API: the `number` of secrets one team may hold at most")
	fs.Var((*boolValue)(&cfg.TrustProxy), "trust-proxy", "take the client address from X-Forwarded-For, for sign-in and API-key limits (only behind a proxy you run)")
	fs.Var((*addrValue)(&cfg.MetricsAddr), "metrics-addr", "serve /metrics only on this `host:port`, e.g. 127.0.0.1:9090, and not on --addr (default: on --addr)")
	fs.Var((*retentionValue)(&cfg.AuditRetention), "audit-retention", "local API: keep audit events this `long` (365d, 720h; 0: forever); older ones are pruned at start and hourly")
	if withUI {
		fs.StringVar(&cfg.APIURL, "api-url", cfg.APIURL, "a Cloud-compatible GraphQL endpoint, e.g. https://api.prefect.io; empty runs the local API embedded")
		fs.Var((*boolValue)(&cfg.SecureCookies), "secure-cookies", "behind a TLS-terminating proxy: mark cookies Secure and send Strict-Transport-Security as with TLS here")
		fs.Var((*durationValue)(&cfg.IdleTimeout), "session-idle", "sign out after this `duration` without a request")
		fs.Var((*durationValue)(&cfg.MaxLifetime), "session-max", "sign out this `duration` after sign-in, whatever happens")
		fs.Var((*durationValue)(&cfg.APITimeout), "api-timeout", "give up on the GraphQL API after this `duration`, retries included")
	}
	fs.BoolVar(&cfg.printVersion, "version", false, "print the version and exit")
	more := `Each flag falls back to the environment variable named with it; a wrong
value there stops the start, naming the variable, as a wrong flag does.

Environment only:
  TEAMSECRETS_BOOTSTRAP_KEY  the first TENANT_ADMIN key on an empty store (default: generated, printed once)
  TEAMSECRETS_MASTER_KEY     base64 32-byte key for values at rest (default: generated into the data dir for a new store; a store refuses any other key)
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
	fs := newServerFlags(c, &cfg)
	rest, err := parseArgs(fs, args, false)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err == nil && (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		err = fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if err == nil && cfg.DatabaseURL != "" {
		if cfg.APIURL != "" {
			err = fmt.Errorf("--database-url is the local API's store, and --api-url replaces the local API: use one of them")
		} else {
			err = checkDatabaseURL(cfg.DatabaseURL)
		}
	}
	if err == nil && cfg.CreateStore && cfg.DatabaseURL == "" {
		err = fmt.Errorf("--create-store is for a PostgreSQL store (--database-url); with SQLite the server makes its store in an empty --data-dir by itself")
	}
	return cfg, fs, err
}
