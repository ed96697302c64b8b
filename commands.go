package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// command is one of the binary's commands.
type command struct {
	name  string // the words after "teamsecrets", e.g. "team create"; "" is the server
	args  string // what follows the name on its usage line
	about string // what it does, in one line
	main  func(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int
}

// commands is the one list of commands: run() dispatches through it, and
// --help lists it.
func commands() []command {
	return []command{
		{"", "[flags]", "serve the Team → Secrets web UI and, without --api-url, the local secrets API on the same port", serveCmd},
		{"api", "[flags]", "run the local GraphQL secrets API alone", serveCmd},
		{"team create", "SLUG [NAME] [flags]", "add a team to the local API's store", admin},
		{"team list", "[flags]", "list the teams of the local API's store", admin},
		{"key create", "--team SLUG [--role ROLE] [--user NAME] [--name NAME] [--expires 90d|RFC3339] [flags]", "make an API key, printed once; a user key needs a membership and acts with at most the user's role", adminKey},
		{"key list", "--team SLUG [flags]", "list a team's API keys: id, name, user, role, created, expires, last used (never the key)", adminKey},
		{"key revoke", "ID [flags]", "revoke an API key at once: every request with it is refused from then on", adminKey},
		{"member add", "--team SLUG --role ROLE --user NAME [flags]", "give a user a role in a team, or change it", admin},
		{"audit", "[--team SLUG] [--since 7d|RFC3339] [--secret NAME] [--json] [flags]", "show the audit trail, newest first: who changed what, when, from where (never a value or a key)", auditCmd},
		{"store check", "[flags]", "the storage's integrity check (SQLite's, or PostgreSQL's schema and tables), and every value opens with the master key", admin},
		{"store backup", "FILE [flags]", "write a consistent copy of the store to FILE (new, 0600) while the server runs; the master key is not in it", storeBackupCmd},
		{"store restore", "FILE [flags]", "replace the data directory's store with the backup FILE, the server stopped; the replaced files are moved aside, never deleted", storeRestoreCmd},
		{"store rotate-master-key", "[--generate FILE] [flags]", "reseal every value under a new master key in one transaction, beside running servers", storeRotateCmd},
		{"run", "[--team SLUG] [--only NAME,...] [--override] -- COMMAND [ARGS...]", "start COMMAND with the team's secrets as PREFECT__CONTEXT__SECRETS__<NAME> (Prefect Server)", runCmd},
		{"import", "[--team SLUG] [--overwrite] [--dry-run] FILE... | --from-env", "add local secrets (config.toml, .env, environment) to the team", importCmd},
		{"version", "", "print the version", versionCmd},
		{"help", "[COMMAND]", "show how to use teamsecrets, or COMMAND", helpCmd},
	}
}

// findCommand returns the command args begin with and the arguments after
// its name: the server when args begin with a flag or are empty.
func findCommand(args []string) (command, []string, error) {
	cmds := commands()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return cmds[0], args, nil
	}
	for _, c := range cmds[1:] {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c, args[len(words):], nil
		}
	}
	var group []string // "team" alone: the team commands
	for _, c := range cmds[1:] {
		if strings.HasPrefix(c.name, args[0]+" ") {
			group = append(group, c.name)
		}
	}
	if group != nil {
		return command{}, nil, fmt.Errorf("%q is not a command; use %s", strings.Join(args[:min(2, len(args))], " "), strings.Join(group, " or "))
	}
	return command{}, nil, fmt.Errorf("unknown command %q", args[0])
}

// line is the command's usage line.
func (c command) line() string {
	return strings.Join(strings.Fields("teamsecrets "+c.name+" "+c.args), " ")
}

// setUsage makes fs's --help text: the command's line and what it does,
// then more, the flags, and for the server every other command.
func (c command) setUsage(fs *flag.FlagSet, more string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n", c.line())
		if c.name == "" {
			fmt.Fprint(w, "       teamsecrets COMMAND [ARGS...]\n")
		}
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(c.about[:1]), c.about[1:])
		if more != "" {
			fmt.Fprintf(w, "\n%s", more)
		}
		fmt.Fprint(w, "\nFlags:\n")
		fs.PrintDefaults()
		if c.name == "" {
			fmt.Fprint(w, "\nCommands:\n")
			printCommands(w, "")
			fmt.Fprint(w, "\n`teamsecrets COMMAND --help` shows a command's flags.\n")
		}
	}
}

// printCommands lists the commands whose name begins with prefix.
func printCommands(w io.Writer, prefix string) {
	for _, c := range commands()[1:] {
		if strings.HasPrefix(c.name, prefix) {
			fmt.Fprintf(w, "  %s\n    \t%s\n", strings.TrimPrefix(c.line(), "teamsecrets "), c.about)
		}
	}
}

// parseArgs parses a command's arguments into fs, with flags anywhere
// among the positional arguments if interspersed, and then gives flags not
// on the command line their environment variables' values. It returns the
// positional arguments. fs prints nothing: see usageFailed.
func parseArgs(fs *flag.FlagSet, args []string, interspersed bool) ([]string, error) {
	fs.SetOutput(io.Discard)
	describeEnv(fs)
	var rest []string
	var err error
	if interspersed {
		rest, err = parseInterspersed(fs, args)
	} else {
		err = fs.Parse(args)
		rest = fs.Args()
	}
	if err != nil {
		return nil, err
	}
	return rest, applyEnv(fs)
}

// usageFailed ends a command whose arguments could not be used: --help
// prints the usage on stdout and exits 0; anything else prints the error
// on stderr and exits 2.
func usageFailed(fs *flag.FlagSet, err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	name := strings.TrimSpace("teamsecrets " + fs.Name())
	fmt.Fprintf(stderr, "error: %v\n`%s --help` shows how to use it.\n", err, name)
	return 2
}

// versionCmd is `teamsecrets version`, the same as `teamsecrets --version`.
func versionCmd(_ context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setUsage(fs, "")
	rest, err := parseArgs(fs, args, false)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	fmt.Fprintln(stdout, versionText())
	return 0
}

// versionText is the version set at build time, the Go version, and the
// version control revision when the build recorded one.
func versionText() string {
	info, _ := debug.ReadBuildInfo()
	return versionLine(version, info)
}

func versionLine(version string, info *debug.BuildInfo) string {
	details := []string{runtime.Version()}
	if info != nil {
		details[0] = info.GoVersion
		s := map[string]string{}
		for _, kv := range info.Settings {
			s[kv.Key] = kv.Value
		}
		if rev := s["vcs.revision"]; rev != "" {
			details = append(details, "revision "+rev[:min(12, len(rev))])
			if s["vcs.time"] != "" {
				details = append(details, s["vcs.time"])
			}
			if s["vcs.modified"] == "true" {
				details = append(details, "modified")
			}
		}
	}
	return fmt.Sprintf("teamsecrets %s (%s)", version, strings.Join(details, ", "))
}

// helpCmd is `teamsecrets help [COMMAND]`: the same as --help.
func helpCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setUsage(fs, "")
	args, err := parseArgs(fs, args, false)
	if err != nil {
		return usageFailed(fs, err, stdout, stderr)
	}
	target, _, err := findCommand(args)
	if err != nil {
		return commandUnknown(args, err, stdout, stderr)
	}
	return target.main(ctx, target, []string{"--help"}, stdout, stderr)
}

// commandUnknown ends a run whose arguments name no command. Asked for
// help, a group of commands ("team --help") lists its commands.
func commandUnknown(args []string, err error, stdout, stderr io.Writer) int {
	if len(args) > 1 && slices.Contains([]string{"-h", "-help", "--help"}, args[1]) {
		var list strings.Builder
		printCommands(&list, args[0]+" ")
		if list.Len() > 0 {
			fmt.Fprintf(stdout, "Commands:\n%s\n`teamsecrets COMMAND --help` shows a command's flags.\n", list.String())
			return 0
		}
	}
	fmt.Fprintf(stderr, "error: %v\n`teamsecrets --help` lists the commands.\n", err)
	return 2
}
