package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"teamsecrets/importer"
)

// maxImportFile bounds one source file; Prefect config files and .env files
// are far smaller.
const maxImportFile = 16 << 20

// importCmd is `teamsecrets import [--team SLUG] [--overwrite] [--dry-run]
// FILE...` and `teamsecrets import --from-env`: local secrets into the team.
func importCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var af apiFlags
	af.register(fset)
	overwrite := fset.Bool("overwrite", false, "replace secrets that exist (default: skip them)")
	dryRun := fset.Bool("dry-run", false, "say what would happen, change nothing")
	fromEnv := fset.Bool("from-env", false, "import this environment's PREFECT__CONTEXT__SECRETS__<NAME> variables")
	format := fset.String("format", "", "toml or dotenv (default: from each file's name, else its text)")
	c.setUsage(fset, `FILE is a Prefect config.toml (its [context.secrets] table) or a .env file
(KEY=value lines; a PREFECT__CONTEXT__SECRETS__ prefix is stripped); with
--from-env, this environment's PREFECT__CONTEXT__SECRETS__* variables.
FILE - reads standard input. A name given twice takes its last value.
Prints one line per name and a summary, never a value; exits 1 if any
write failed.
`)
	files, err := parseArgs(fset, args, true)
	if err == nil && len(files) == 0 && !*fromEnv {
		err = errors.New("name a FILE to import, or pass --from-env")
	}
	if err != nil {
		return usageFailed(fset, err, stdout, stderr)
	}
	var sources [][]importer.Entry
	for _, file := range files {
		data, err := readImportFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "teamsecrets import: error: %v\n", err)
			return 1
		}
		entries, _, err := importer.Parse(data, importer.Format(*format), file)
		if err != nil {
			fmt.Fprintf(stderr, "teamsecrets import: error: %s: %v (nothing was imported)\n", file, err)
			return 1
		}
		sources = append(sources, entries)
	}
	if *fromEnv {
		sources = append(sources, importer.ParseEnviron(os.Environ()))
	}
	entries := importer.Merge(sources...)
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "Nothing to import.")
		return 0
	}
	ctx, api, err := af.connect(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "teamsecrets import: error:", err)
		return 1
	}
	opts := importer.Options{Overwrite: *overwrite, DryRun: *dryRun}
	results, err := importer.Apply(ctx, api, entries, opts)
	if err != nil {
		fmt.Fprintf(stderr, "teamsecrets import: error: list the secrets of %s: %v (nothing was imported)\n", af.teamLabel(), err)
		return 1
	}
	for _, r := range results {
		fmt.Fprintln(stdout, resultLine(r, opts.DryRun))
	}
	sum := importer.Summarize(results)
	if opts.DryRun {
		fmt.Fprintf(stdout, "Dry run, nothing was changed in %s: %d to add, %d to replace, %d skipped, %d invalid.\n",
			af.teamLabel(), sum.Added, sum.Replaced, sum.Skipped, sum.Invalid)
	} else {
		fmt.Fprintf(stdout, "Imported into %s: %s.\n", af.teamLabel(), sum)
	}
	if sum.Failed > 0 {
		return 1
	}
	return 0
}

func readImportFile(file string) ([]byte, error) {
	r := io.Reader(os.Stdin)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > maxImportFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", file, maxImportFile>>20)
	}
	return data, nil
}

// resultLine is one name's line: outcome, name, and why.
func resultLine(r importer.Result, dryRun bool) string {
	outcome := string(r.Outcome)
	if dryRun {
		switch r.Outcome {
		case importer.Added:
			outcome = "would add"
		case importer.Replaced:
			outcome = "would replace"
		}
	}
	line := fmt.Sprintf("%-13s %s", outcome, displayName(r.Name))
	if r.Reason != "" {
		line += " (" + r.Reason + ")"
	}
	return line
}

// displayName quotes a name that is empty or holds spaces, quotes or
// invisible characters, so each stays readable and on its line.
func displayName(name string) string {
	odd := strings.IndexFunc(name, func(r rune) bool {
		return !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' || r == utf8.RuneError
	})
	if name == "" || odd >= 0 {
		return strconv.Quote(name)
	}
	return name
}
