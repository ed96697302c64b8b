package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"teamsecrets/localapi"
)

// openStore opens the local API's store in the data directory as its
// server: a new store (and master key) in a directory without one, and the
// directory's lock for as long as the store is open.
func openStore(dataDir string) (*localapi.Store, error) {
	return storeLocation{DataDir: dataDir}.open(context.Background(), localapi.AsServer)
}

// storeLocation is where the local API's store is: SQLite in DataDir, or
// the PostgreSQL database at DatabaseURL (DataDir then keeps master.key,
// unless TEAMSECRETS_MASTER_KEY, and the UI's session keys).
type storeLocation struct {
	DataDir, DatabaseURL string
	// CreateStore lets the server make a new store in an empty PostgreSQL
	// database (--create-store). SQLite's server makes one in a directory
	// without one by itself.
	CreateStore bool
}

// storeFlags adds the flags that say where an admin command finds the
// store (with their environment fallbacks, TEAMSECRETS_DATA_DIR and
// TEAMSECRETS_DATABASE_URL).
func storeFlags(fs *flag.FlagSet) *storeLocation {
	var l storeLocation
	fs.StringVar(&l.DataDir, "data-dir", defaultDataDir, "the server's data directory (with --database-url: where its master.key is)")
	fs.StringVar(&l.DatabaseURL, "database-url", "", "the server's PostgreSQL database (postgres://USER@HOST/DB), if it keeps the store there")
	return &l
}

// check refuses a database URL that is not postgres:// or postgresql://.
func (l storeLocation) check() error {
	if l.DatabaseURL == "" {
		return nil
	}
	return checkDatabaseURL(l.DatabaseURL)
}

// open opens the store as mode says: AsServer makes one where there is
// none; AsAdmin refuses a place without one.
func (l storeLocation) open(ctx context.Context, mode localapi.Mode) (*localapi.Store, error) {
	if l.DatabaseURL != "" {
		if l.CreateStore {
			return localapi.OpenPostgres(ctx, l.DatabaseURL, l.DataDir, mode, localapi.CreateStore())
		}
		return localapi.OpenPostgres(ctx, l.DatabaseURL, l.DataDir, mode)
	}
	return localapi.Open(l.DataDir, mode)
}

// checkDatabaseURL is --database-url's check; the message never repeats
// the URL (it may hold a password).
func checkDatabaseURL(raw string) error {
	if err := localapi.CheckDatabaseURL(raw); err != nil {
		return fmt.Errorf("--database-url (or TEAMSECRETS_DATABASE_URL): %w", err)
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments (the flag package alone stops at the first
// positional one), and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// admin runs the commands that manage the local API's store: "team
// create", "team list", "member add" and "store check" (the key commands
// are in admin_keys.go).
func admin(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	team, role, user := new(string), new(string), new(string)
	if c.name == "member add" {
		fs.StringVar(team, "team", "", "team slug")
		fs.StringVar(role, "role", "", "TENANT_ADMIN, USER or READ_ONLY_USER (default USER)")
		fs.StringVar(user, "user", "", "user name")
	}
	c.setUsage(fs, "")
	cmd := c.name
	positional, err := parseArgs(fs, args, true)
	if err == nil {
		switch {
		case cmd == "team create" && len(positional) == 0:
			err = fmt.Errorf("team create needs a SLUG")
		case cmd == "team create" && len(positional) > 2:
			err = fmt.Errorf("unexpected argument %q", positional[2])
		case cmd != "team create" && len(positional) > 0:
			err = fmt.Errorf("unexpected argument %q", positional[0])
		case cmd == "member add" && (*team == "" || *user == ""):
			err = fmt.Errorf("member add needs --team and --user")
		default:
			err = where.check()
		}
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	// Beside a running server; never makes a store (a mistyped --data-dir
	// or --database-url is refused, saying so).
	store, err := where.open(ctx, localapi.AsAdmin)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer store.Close()
	fail := func(err error) int {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	switch cmd {
	case "store check":
		r, err := store.Check(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "store ok: %s, %s, each opens with the master key\n", count(r.Teams, "team"), count(r.Values, "value"))
	case "team create":
		name := ""
		if len(positional) > 1 {
			name = positional[1]
		}
		t, err := store.CreateTenant(ctx, positional[0], name)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "team %s created (id %s)\n", t.Slug, t.ID)
	case "team list":
		teams, err := store.Tenants(ctx)
		if err != nil {
			return fail(err)
		}
		for _, t := range teams {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", t.Slug, t.ID, t.Name)
		}
	case "member add":
		if *role == "" {
			*role = localapi.RoleUser
		}
		if err := store.AddMember(ctx, *team, *role, *user); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s is %s in %s\n", *user, *role, *team)
	default:
		return fail(fmt.Errorf("unknown command %q", cmd))
	}
	return 0
}

// count is "1 team", "2 teams".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// keyCreateHint adds to a refused user key what the operator can do: a key
// never creates or changes a membership, "member add" does.
func keyCreateHint(err error, team, role, user string) error {
	if role == "" {
		role = "ROLE"
	}
	switch {
	case errors.Is(err, localapi.ErrNotMember):
		return fmt.Errorf("%w; creating a key never adds a membership: run `teamsecrets member add --team %s --role %s --user %s` first",
			err, team, role, user)
	case errors.Is(err, localapi.ErrAboveMembership):
		return fmt.Errorf("%w; create the key with a lower --role (or none: it then gets the user's role), "+
			"or change the membership first with `teamsecrets member add --team %s --role %s --user %s`", err, team, role, user)
	}
	return err
}
