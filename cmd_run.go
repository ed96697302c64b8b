package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"teamsecrets/bridge"
	"teamsecrets/importer"
)

// forwardedSignals are passed on to the command `run` starts.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runCmd is `teamsecrets run [--team SLUG] [--only NAME,...] [--override] --
// COMMAND [ARGS...]`: it starts COMMAND with the team's secrets as
// PREFECT__CONTEXT__SECRETS__<NAME>, forwards signals to it, and exits with
// its exit code.
func runCmd(ctx context.Context, c command, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var af apiFlags
	af.register(fset)
	only := fset.String("only", "", "comma-separated names: set only these secrets (default: all of the team's)")
	override := fset.Bool("override", false, "replace PREFECT__CONTEXT__SECRETS__<NAME> set locally (default: local first, as Prefect resolves)")
	c.setUsage(fset, `Prefect 1.x's Secret.get() and PrefectSecret look in the environment first,
even with backend "server". Signals are forwarded; run exits with
COMMAND's exit code (128+N if signal N ended it). The API key comes from
`+APIKeyEnv+` or --key-file, and is not passed on.
`)
	argv, err := parseArgs(fset, args, false)
	if err == nil && len(argv) == 0 {
		err = errors.New("no COMMAND to run")
	}
	if err != nil {
		return usageFailed(fset, err, stdout, stderr)
	}
	opts := runOptions{override: *override, environ: os.Environ()}
	for n := range strings.SplitSeq(*only, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(opts.only, n) {
			opts.only = append(opts.only, n)
		}
	}
	env, err := runEnviron(ctx, af, opts, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "teamsecrets run: error:", err)
		return 1
	}
	if ctx.Err() != nil {
		return 130 // interrupted before COMMAND started
	}
	return execForwarding(argv, env, stdout, stderr)
}

// runOptions are run's choices beyond the API flags.
type runOptions struct {
	only     []string
	override bool
	environ  []string // the environment COMMAND starts from
}

// runEnviron reads the team's secrets and returns COMMAND's environment.
// It writes one warning line per kind of secret it leaves out, naming them,
// never a value.
func runEnviron(ctx context.Context, af apiFlags, opts runOptions, warn io.Writer) ([]string, error) {
	ctx, api, err := af.connect(ctx)
	if err != nil {
		return nil, err
	}
	names, err := api.SecretNames(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the secrets of %s: %w", af.teamLabel(), err)
	}
	local := bridge.LocalNames(opts.environ)
	for _, n := range prefectConfigNames(opts.environ, warn) {
		local[n] = true
	}
	plan := bridge.NewPlan(names, opts.only, local, opts.override)
	if len(plan.Missing) > 0 {
		return nil, fmt.Errorf("%s has no secret named %s", af.teamLabel(), quoteNames(plan.Missing))
	}
	if len(plan.NotEnv) > 0 {
		fmt.Fprintf(warn, "teamsecrets run: warning: not set, these names cannot be environment variables: %s\n", quoteNames(plan.NotEnv))
	}
	if len(plan.Local) > 0 {
		fmt.Fprintf(warn, "teamsecrets run: set locally, left as they are (--override replaces them): %s\n", quoteNames(plan.Local))
	}
	values, missing, err := bridge.New(api).Values(ctx, plan.Set)
	if err != nil {
		return nil, err
	}
	var gone, notText []string
	for _, n := range missing {
		if slices.Contains(opts.only, n) {
			return nil, fmt.Errorf("%s has no secret named %s", af.teamLabel(), quoteNames([]string{n}))
		}
		gone = append(gone, n)
	}
	texts := make(map[string]string, len(values))
	for n, v := range values {
		text, err := bridge.EnvText(v)
		if err != nil {
			notText = append(notText, n)
			continue
		}
		texts[n] = text
	}
	if len(gone) > 0 {
		fmt.Fprintf(warn, "teamsecrets run: warning: not set, deleted while being read: %s\n", quoteNames(gone))
	}
	if len(notText) > 0 {
		slices.Sort(notText)
		fmt.Fprintf(warn, "teamsecrets run: warning: not set, the values cannot be environment variables (NUL character): %s\n", quoteNames(notText))
	}
	return bridge.Environ(opts.environ, texts, APIKeyEnv), nil
}

// prefectConfigNames are the secrets in Prefect's user config file
// ([context.secrets] in PREFECT__USER_CONFIG_PATH, by default
// ~/.prefect/config.toml). Prefect reads them before asking any API, so
// they are local too.
func prefectConfigNames(environ []string, warn io.Writer) []string {
	path := "~/.prefect/config.toml"
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PREFECT__USER_CONFIG_PATH="); ok && v != "" {
			path = v
		}
	}
	path = os.Expand(path, func(k string) string { return lookupEnv(environ, k) })
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home := lookupEnv(environ, "HOME")
		if home == "" {
			return nil
		}
		path = filepath.Join(home, rest)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fmt.Fprintf(warn, "teamsecrets run: warning: cannot read Prefect's config file, so its secrets were not taken as local: %v\n", err)
		return nil
	}
	entries, err := importer.ParseTOML(data)
	if errors.Is(err, importer.ErrNoSecretsTable) {
		return nil
	}
	if err != nil {
		fmt.Fprintf(warn, "teamsecrets run: warning: %s: %v; its secrets were not taken as local\n", path, err)
		return nil
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
	}
	return names
}

func lookupEnv(environ []string, key string) string {
	for _, kv := range slices.Backward(environ) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// execForwarding runs argv with env, passing on the forwarded signals, and
// returns its exit code: 128+N if signal N ended it, 127 if it was not
// found, 126 if it could not be started.
func execForwarding(argv, env []string, stdout, stderr io.Writer) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "teamsecrets run: error:", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return 127
		}
		return 126
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if !terminalSentToChild(s) {
					cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	cmd.Wait()
	close(done)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}
