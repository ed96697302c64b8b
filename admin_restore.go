package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"teamsecrets/localapi"
)

// storeRestoreCmd is `teamsecrets store restore FILE`: the SQLite store of
// the data directory replaced by a backup, with the server stopped; what
// it replaces is moved aside, never deleted (localapi.Restore).
//
// A PostgreSQL store is refused, pointing to pg_restore.
func storeRestoreCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	c.setUsage(fs, "Stop the server first: the command refuses while one serves the data directory. FILE must be\n"+
		"a backup from `teamsecrets store backup`, sound, and open with the master key in the data directory\n"+
		"(or TEAMSECRETS_MASTER_KEY); else nothing is changed. The current database, and its -wal and -shm,\n"+
		"are moved aside into the data directory, never deleted.\n")
	positional, err := parseArgs(fs, args, true)
	if err == nil && len(positional) != 1 {
		err = fmt.Errorf("store restore needs one FILE, a backup, to restore")
		if len(positional) > 1 {
			err = fmt.Errorf("unexpected argument %q", positional[1])
		}
	}
	if err == nil && where.DatabaseURL != "" {
		err = fmt.Errorf("store restore restores a data directory's SQLite store; a PostgreSQL store (--database-url or " +
			"TEAMSECRETS_DATABASE_URL) is restored with pg_restore, every instance stopped: see README, \"Backup and restore\"")
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	r, err := localapi.Restore(ctx, where.DataDir, positional[0])
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s into %s: %s, %s, %s; integrity check ok, and it opens with the master key from %s\n",
		r.Backup, r.Database, count(r.Teams, "team"), count(r.Values, "value"), size(r.Bytes), r.KeySource)
	if r.Aside != "" {
		fmt.Fprintf(stdout, "The database it replaced was moved aside, not deleted: %s (%s). Remove it once the restored store serves as it should.\n",
			r.Aside, strings.Join(r.Moved, ", "))
	} else {
		fmt.Fprintln(stdout, "The data directory held no database to move aside.")
	}
	if r.Version < r.Current {
		fmt.Fprintf(stdout, "The backup's schema is version %d, this program's %d: the server migrates it as it starts.\n", r.Version, r.Current)
	}
	fmt.Fprintln(stdout, "Start the server; then `teamsecrets store check` confirms that every value opens.")
	return 0
}
