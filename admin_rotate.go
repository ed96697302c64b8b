package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"teamsecrets/localapi"
)

// storeRotateCmd is `teamsecrets store rotate-master-key`: every value and
// the key check resealed under a new master key in one transaction, beside
// running servers, which take the new key at their next request.
//
//	store rotate-master-key                   master.key: a new key is made and kept there;
//	                                          TEAMSECRETS_MASTER_KEY=NEW,CURRENT: to NEW
//	store rotate-master-key --generate FILE   write a new key to FILE (0600) and stop
//	store rotate-master-key --force           with TEAMSECRETS_MASTER_KEY although the data
//	                                          directory holds a master.key
func storeRotateCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	where := storeFlags(fs)
	generate := fs.String("generate", "", "only write a new random master key to this new file (mode 0600), for "+localapi.MasterKeyEnv+"; the store is not touched")
	force := fs.Bool("force", false, "with "+localapi.MasterKeyEnv+": rotate even though the data directory holds a master.key (which then no longer opens the store)")
	c.setUsage(fs, "With master.key (one server): a new key is made and master.key holds it alone when done.\n"+
		"With "+localapi.MasterKeyEnv+" (several instances): give every instance the ring NEW,CURRENT\n"+
		"first (--generate makes NEW), then run this with that ring; it reseals under NEW.\n"+
		"Run it as the server's user (or as root: master.key keeps its owner and group).\n"+
		"README, \"Rotating the master key\", has the steps. No key is ever printed.\n")
	positional, err := parseArgs(fs, args, true)
	if err == nil && len(positional) > 0 {
		err = fmt.Errorf("unexpected argument %q", positional[0])
	}
	if err == nil {
		err = where.check()
	}
	if err == nil && *generate == "" && given(fs, "generate") {
		// An empty variable (--generate "$FILE") must not rotate the store.
		err = errors.New("--generate needs the name of a new file to write the key to: nothing was done")
	}
	if err == nil && *force && *generate != "" {
		err = errors.New("--force is for a rotation, not for --generate")
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if *generate != "" {
		if err := localapi.GenerateMasterKey(*generate); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "wrote a new master key to %s (mode 0600); it was not printed and the store was not changed.\n", *generate)
		fmt.Fprintf(stdout, "Next: give every instance %s=NEW,CURRENT (the key in %s first, the current key second) and restart them one by one; "+
			"then run `teamsecrets store rotate-master-key` with that ring. Delete %[2]s once the key is kept where your keys are kept.\n",
			localapi.MasterKeyEnv, *generate)
		return 0
	}
	store, err := where.open(ctx, localapi.AsAdmin)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	r, err := store.RotateMasterKeyWith(ctx, localapi.RotateOptions{Force: *force})
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "master key rotated: %s and the key check resealed in one transaction (%s), recorded in the audit trail\n",
		count(r.Values, "value"), r.Took.Round(time.Millisecond))
	if r.Source == localapi.MasterKeyEnv {
		fmt.Fprintf(stdout, "The store is sealed under the first key of %s; every instance seals under it from its next write. "+
			"Now drop the old key from %[1]s on every instance and restart them one by one. "+
			"Backups made before now need the old key: keep it with them.\n", localapi.MasterKeyEnv)
		if keyFile := filepath.Join(where.DataDir, localapi.MasterKeyFile); fileExists(keyFile) {
			fmt.Fprintf(stderr, "warning: %s is not used while %s is set, and it does not hold the new key: "+
				"without the variable the store no longer opens with it; remove it, or replace it with the new key\n", keyFile, localapi.MasterKeyEnv)
		}
	} else {
		fmt.Fprintf(stdout, "%s holds the new key alone; a running server takes it at its next request. "+
			"Save a copy of the new %s now, apart from your backups; backups made before now need the old key.\n", r.Source, localapi.MasterKeyFile)
	}
	if r.Warning != "" {
		fmt.Fprintln(stderr, "warning:", r.Warning)
	}
	return 0
}

// given reports whether the flag name was set on the command line (even to
// its default).
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
