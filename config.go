package main

import (
	"flag"
	"fmt"
	"io"
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

// parseConfig reads flags for a command; every flag falls back to its
// TEAMSECRETS_* environment variable.
func parseConfig(name string, args []string, stderr io.Writer, withUI bool) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", envOr("TEAMSECRETS_ADDR", c.Addr), "where the server listens (TEAMSECRETS_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", envOr("TEAMSECRETS_DATA_DIR", c.DataDir), "local API store, master key and session keys (TEAMSECRETS_DATA_DIR)")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr("TEAMSECRETS_TLS_CERT", ""), "serve HTTPS with this certificate file (TEAMSECRETS_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", envOr("TEAMSECRETS_TLS_KEY", ""), "private key for --tls-cert (TEAMSECRETS_TLS_KEY)")
	maxSecrets, err := envInt("TEAMSECRETS_MAX_SECRETS_PER_TEAM", c.MaxSecrets)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.MaxSecrets, "max-secrets-per-team", maxSecrets, "local API: most secrets one team may hold (TEAMSECRETS_MAX_SECRETS_PER_TEAM)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool("TEAMSECRETS_TRUST_PROXY"), "take the client address from X-Forwarded-For, for sign-in and API-key limits (only behind a proxy you run) (TEAMSECRETS_TRUST_PROXY)")
	if withUI {
		fs.StringVar(&c.APIURL, "api-url", envOr("TEAMSECRETS_API_URL", ""), "a Cloud-compatible GraphQL endpoint, e.g. https://api.prefect.io; empty runs the local API embedded (TEAMSECRETS_API_URL)")
		fs.BoolVar(&c.SecureCookies, "secure-cookies", envBool("TEAMSECRETS_SECURE_COOKIES"), "behind a TLS-terminating proxy: mark cookies Secure and send Strict-Transport-Security as with TLS here (TEAMSECRETS_SECURE_COOKIES)")
		fs.DurationVar(&c.IdleTimeout, "session-idle", envDuration("TEAMSECRETS_SESSION_IDLE", c.IdleTimeout), "sign out after this long without a request (TEAMSECRETS_SESSION_IDLE)")
		fs.DurationVar(&c.MaxLifetime, "session-max", envDuration("TEAMSECRETS_SESSION_MAX", c.MaxLifetime), "sign out this long after sign-in, whatever happens (TEAMSECRETS_SESSION_MAX)")
		fs.DurationVar(&c.APITimeout, "api-timeout", envDuration("TEAMSECRETS_API_TIMEOUT", c.APITimeout), "give up on the GraphQL API after this long, retries included (TEAMSECRETS_API_TIMEOUT)")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: teamsecrets %s[flags]\n\nFlags:\n", map[bool]string{true: "", false: name + " "}[withUI])
		fs.PrintDefaults()
		if withUI {
			fmt.Fprint(stderr, `
Environment only:
  TEAMSECRETS_BOOTSTRAP_KEY  the first TENANT_ADMIN key on an empty store (default: generated, printed once)
  TEAMSECRETS_MASTER_KEY     base64 32-byte key for values at rest (default: generated into the data dir)
  TEAMSECRETS_SESSION_KEYS   comma-separated session keys, newest first (default: generated into the data dir)

Commands:
  teamsecrets api                                   run the local GraphQL API alone
  teamsecrets team create SLUG [NAME]               add a team
  teamsecrets team list                             list teams
  teamsecrets key create --team SLUG [--role ROLE] [--user NAME]
                                                    make an API key (printed once); a user key
                                                    needs a membership, never changes it, and
                                                    acts with at most the user's role
  teamsecrets member add --team SLUG --role ROLE --user NAME
                                                    give a user a role in a team (or change it)
  teamsecrets store check                           SQLite integrity check of the store
  teamsecrets run [--team SLUG] [--only NAME,...] [--override] -- COMMAND [ARGS...]
                                                    start COMMAND with the team's secrets as
                                                    PREFECT__CONTEXT__SECRETS__<NAME> (Prefect Server)
  teamsecrets import [--team SLUG] [--overwrite] [--dry-run] FILE... | --from-env
                                                    add local secrets (config.toml, .env,
                                                    environment) to the team
  (run and import: --api-url, and the key in TEAMSECRETS_API_KEY or --key-file)
`)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.MaxSecrets < 1 {
		return c, fmt.Errorf("--max-secrets-per-team must be at least 1")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return c, nil
}
