package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"teamsecrets/localapi"
)

// auditCmd is `teamsecrets audit`: the audit trail read from the store
// (beside a running server, as the other admin commands), newest first.
//
//	audit [--team SLUG] [--since 24h|7d|RFC3339] [--secret NAME] [--limit N] [--json]
func auditCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	team := fs.String("team", "", "only this team's events (default: every team's, and refused unknown keys)")
	since := fs.String("since", "", "only events since then: a duration back from now (24h, 7d) or an RFC 3339 time")
	secret := fs.String("secret", "", "only this secret's events")
	limit := fs.Int("limit", 1000, "at most this many events (0: all)")
	asJSON := fs.Bool("json", false, "one JSON object per line instead of a table")
	c.setUsage(fs, "Never shows a value or a key: the trail holds none.\n")
	positional, err := parseArgs(fs, args, true)
	if err == nil && len(positional) > 0 {
		err = fmt.Errorf("unexpected argument %q", positional[0])
	}
	var from time.Time
	if err == nil && *since != "" {
		from, err = parseSince(*since, time.Now())
	}
	if err == nil && *limit < 0 {
		err = fmt.Errorf("--limit must be 0 or more")
	}
	if err == nil {
		err = where.check()
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	store, err := where.open(ctx, localapi.AsAdmin)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer store.Close()
	events, err := store.AuditEvents(ctx, *team, localapi.AuditQuery{Secret: *secret, Since: from, Limit: *limit})
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if *asJSON {
		writeAuditJSON(stdout, events)
	} else {
		writeAuditTable(stdout, events)
	}
	return 0
}

// parseSince reads --since: a duration back from now (Go's, or whole days,
// 7d) or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration back from now (24h, 7d) or an RFC 3339 time", s)
}

// auditJSON is one line of --json.
type auditJSON struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	TenantID   string    `json:"team_id,omitempty"`
	Action     string    `json:"action"`
	Outcome    string    `json:"outcome"`
	Secret     string    `json:"secret_name,omitempty"`
	Target     string    `json:"target,omitempty"`
	Actor      string    `json:"actor"`
	KeyID      string    `json:"key_id,omitempty"`
	KeyName    string    `json:"key_name,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	ClientAddr string    `json:"client_address,omitempty"`
}

func writeAuditJSON(w io.Writer, events []localapi.AuditEvent) {
	enc := json.NewEncoder(w)
	for _, e := range events {
		enc.Encode(auditJSON{ID: e.ID, Time: e.Time, TenantID: e.TenantID, Action: e.Action, Outcome: e.Outcome,
			Secret: e.Secret, Target: e.Target, Actor: actorName(e.Actor), KeyID: e.KeyID, KeyName: e.KeyName,
			RequestID: e.RequestID, ClientAddr: e.ClientAddr})
	}
}

// actorName is who acted: an event without one was an operator's command.
func actorName(a string) string {
	if a == "" {
		return "operator"
	}
	return a
}

func writeAuditTable(w io.Writer, events []localapi.AuditEvent) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tSECRET/TARGET\tOUTCOME\tACTOR\tKEY\tREQUEST\tADDRESS")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return strconv.Quote(s)[1 : len(strconv.Quote(s))-1] // no tabs or newlines from a name
	}
	for _, e := range events {
		what := e.Secret
		if what == "" {
			what = e.Target
		}
		key := e.KeyName
		if key == "" {
			key = e.KeyID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Action, dash(what), e.Outcome,
			dash(actorName(e.Actor)), dash(key), dash(e.RequestID), dash(e.ClientAddr))
	}
	tw.Flush()
}
