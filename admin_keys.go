package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"teamsecrets/localapi"
)

// adminKey runs "key create", "key list" and "key revoke" against the
// store:
//
//	key create --team SLUG [--role ROLE] [--user NAME] [--name N] [--expires DURATION|RFC3339]
//	key list --team SLUG
//	key revoke ID
func adminKey(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	team, role, user, name, expires := new(string), new(string), new(string), new(string), new(string)
	if c.name != "key revoke" {
		fs.StringVar(team, "team", "", "team slug")
	}
	if c.name == "key create" {
		fs.StringVar(role, "role", "", "TENANT_ADMIN, USER or READ_ONLY_USER (default: for --user the user's membership role, else USER)")
		fs.StringVar(user, "user", "", "user name (optional; without it the key is a team service key; the user must already be a member)")
		fs.StringVar(name, "name", "", "what people call the key (shown in key list and the UI)")
		fs.StringVar(expires, "expires", "", "when the key stops working, as a duration from now (90d, 720h) or an RFC 3339 time; default never")
	}
	c.setUsage(fs, "")
	cmd := strings.TrimPrefix(c.name, "key ")
	positional, err := parseArgs(fs, args, true)
	if err == nil {
		switch {
		case cmd != "revoke" && *team == "":
			err = fmt.Errorf("%s needs --team", c.name)
		case cmd == "revoke" && len(positional) != 1:
			err = fmt.Errorf("key revoke needs the key's ID (see key list)")
		case cmd != "revoke" && len(positional) > 0:
			err = fmt.Errorf("unexpected argument %q", positional[0])
		default:
			err = where.check()
		}
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	var expiresAt time.Time
	if *expires != "" {
		if expiresAt, err = parseExpiry(*expires, time.Now()); err != nil {
			return fail(err)
		}
	}
	store, err := where.open(ctx, localapi.AsAdmin)
	if err != nil {
		return fail(err)
	}
	defer store.Close()

	switch cmd {
	case "create":
		keyRole, defaulted := *role, false
		if keyRole == "" {
			keyRole, defaulted = localapi.RoleUser, true
			if *user != "" {
				// A user key defaults to its user's role in the team.
				if keyRole, err = store.MemberRole(ctx, *team, *user); err != nil {
					return fail(keyCreateHint(err, *team, *role, *user))
				}
			}
		}
		key, id, err := store.CreateKeyWith(ctx, *team, keyRole, *user, localapi.KeyOptions{Name: *name, ExpiresAt: expiresAt})
		if err != nil {
			return fail(keyCreateHint(err, *team, *role, *user))
		}
		what := "team key"
		if *user != "" {
			what = "key of " + *user
		}
		how := ""
		if defaulted && *user != "" {
			how = ", the user's membership role"
		}
		until := ""
		if !expiresAt.IsZero() {
			until = ", expires " + expiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stderr, "API %s for team %s, role %s%s%s, id %s (shown once, store it now):\n", what, *team, keyRole, how, until, id)
		fmt.Fprintln(stdout, key)
	case "list":
		keys, err := store.Keys(ctx, *team)
		if err != nil {
			return fail(err)
		}
		writeKeyList(stdout, keys)
	case "revoke":
		if err := store.RevokeKey(ctx, positional[0]); err != nil {
			if errors.Is(err, localapi.ErrNotFound) {
				return fail(fmt.Errorf("no key with id %q", positional[0]))
			}
			return fail(err)
		}
		fmt.Fprintf(stdout, "key %s revoked: the next request with it is refused\n", positional[0])
	}
	return 0
}

// writeKeyList prints keys as a table; no key material (the store has
// none to give).
func writeKeyList(w io.Writer, keys []localapi.KeyInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tUSER\tROLE\tCREATED\tEXPIRES\tLAST USED")
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	}
	for _, k := range keys {
		user := k.Username
		if k.UserID == "" {
			user = "(team key)"
		}
		expires := when(k.ExpiresAt)
		if !k.ExpiresAt.IsZero() && !time.Now().Before(k.ExpiresAt) {
			expires += " (expired)"
		}
		// A name shows escaped: it cannot move the terminal's cursor or hide.
		name := strconv.QuoteToGraphic(k.Name)
		name = name[1 : len(name)-1]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, orDash(name), user, k.Role, when(k.Created), expires, when(k.LastUsed))
	}
	tw.Flush()
}

// parseExpiry reads --expires: a duration from now (Go's, such as 720h, or
// whole days, 90d) or an RFC 3339 time. It must be in the future.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	var at time.Time
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return at, fmt.Errorf("--expires %q: want a duration (90d, 720h) or an RFC 3339 time", s)
		}
		at = now.AddDate(0, 0, n)
	} else if d, err := time.ParseDuration(s); err == nil {
		at = now.Add(d)
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		at = t
	} else {
		return at, fmt.Errorf("--expires %q: want a duration (90d, 720h) or an RFC 3339 time", s)
	}
	if !at.After(now) {
		return at, fmt.Errorf("--expires %q is not in the future", s)
	}
	return at, nil
}
