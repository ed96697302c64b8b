package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"teamsecrets/localapi"
)

// storeBackupCmd is `teamsecrets store backup FILE`: an online, consistent
// copy of the SQLite store, beside a running server.
//
// A PostgreSQL store (when the store is opened from a database URL) is
// refused by localapi.Store.Backup with ErrNoOnlineBackup, pointing to
// pg_dump: this command never copies one.
func storeBackupCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	c.setUsage(fs, "The server may run and write meanwhile: the copy holds every write acknowledged before\n"+
		"the backup began. FILE must not exist, and must be outside the data directory. The master key is NOT\n"+
		"in the backup: keep it apart. The store is not changed, nor migrated: a store at an older schema (an\n"+
		"older server running) is copied at its version. `teamsecrets store restore FILE` restores it.\n")
	positional, err := parseArgs(fs, args, true)
	if err == nil && len(positional) != 1 {
		err = fmt.Errorf("store backup needs one FILE to write")
		if len(positional) > 1 {
			err = fmt.Errorf("unexpected argument %q", positional[1])
		}
	}
	if err == nil {
		err = where.check()
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	// Read-only, and never migrating: a store at an older schema (a
	// server of an older version serving it) is copied as it is.
	store, err := where.open(ctx, localapi.AsBackup)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	r, err := store.Backup(ctx, positional[0])
	if errors.Is(err, localapi.ErrBackupExists) {
		return fail(fmt.Errorf("%w: nothing was written (a backup never replaces a file; choose a new name)", err))
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %s, %s in %s; integrity check ok, and it opens with the master key from %s\n",
		r.Path, count(r.Teams, "team"), count(r.Values, "value"), size(r.Bytes), r.Took.Round(time.Millisecond), r.KeySource)
	if r.Version < r.Current {
		fmt.Fprintf(stdout, "The store's schema is version %d, older than this program's (%d), and was not migrated: the copy is at version %d too, "+
			"and restores with the teamsecrets version serving the store (a server of this version migrates it as it starts).\n",
			r.Version, r.Current, r.Version)
	}
	fmt.Fprintln(stdout, "The master key is NOT in the backup, and the backup is unreadable without it: keep a copy of the key "+
		"("+localapi.MasterKeyFile+" or "+localapi.MasterKeyEnv+") in a safe place, apart from the backup. "+
		"After a key rotation, backups made before it need the old key.")
	return 0
}

// size is a byte count for people: "812 B", "1.2 MB".
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
