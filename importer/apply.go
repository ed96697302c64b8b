package importer

import (
	"context"
	"errors"
	"fmt"

	"teamsecrets/cloud"
	"teamsecrets/rules"
)

// Outcome is what happened to one name.
type Outcome string

// The outcomes, in the words the CLI prints and the UI shows.
const (
	Added    Outcome = "added"
	Replaced Outcome = "replaced"
	Skipped  Outcome = "skipped"
	Invalid  Outcome = "invalid"
	Failed   Outcome = "failed"
)

// Result is one name's outcome and, for skipped, invalid and failed, why
// (for added and replaced, a note).
type Result struct {
	Name    string
	Outcome Outcome
	Reason  string
	Err     error // for failed: the API's error (an *cloud.Error), for status and logs
}

// Options choose how existing names are treated.
type Options struct {
	Overwrite bool // replace secrets that exist (default: skip them)
	DryRun    bool // decide every outcome, write nothing
}

// Writer is the API an import writes to; *cloud.Client is one.
type Writer interface {
	SecretNames(ctx context.Context) ([]string, error)
	SetSecrets(ctx context.Context, secrets []cloud.NamedValue) []error
}

// Apply imports entries into the team the context's credentials select. It
// fails as a whole, having changed nothing, only if the team's names cannot
// be listed; after that every entry gets its own result, in order.
func Apply(ctx context.Context, api Writer, entries []Entry, opts Options) ([]Result, error) {
	names, err := api.SecretNames(ctx)
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(names))
	for _, n := range names {
		exists[n] = true
	}
	results := make([]Result, len(entries))
	var writes []cloud.NamedValue
	var written []int // index in results of each write
	for i, e := range entries {
		r := Result{Name: e.Name}
		switch {
		case e.Invalid != "":
			r.Outcome, r.Reason = Invalid, e.Invalid
		case exists[e.Name] && !opts.Overwrite:
			r.Outcome, r.Reason = Skipped, "exists"
		default:
			r.Outcome = Added
			if exists[e.Name] {
				r.Outcome = Replaced
			}
			if !rules.EnvOverridable(e.Name) {
				r.Reason = "its name has '-' or '.': teamsecrets run cannot set it"
			}
			if !opts.DryRun {
				writes = append(writes, cloud.NamedValue{Name: e.Name, Value: e.Value})
				written = append(written, i)
			}
		}
		results[i] = r
	}
	if len(writes) > 0 {
		for j, err := range api.SetSecrets(ctx, writes) {
			if err != nil {
				results[written[j]].Outcome = Failed
				results[written[j]].Reason = reason(err)
				results[written[j]].Err = err
			}
		}
	}
	return results, nil
}

// reason is an API error in words safe to show: *cloud.Error messages never
// hold a value or a key.
func reason(err error) string {
	var apiErr *cloud.Error
	if errors.As(err, &apiErr) {
		return apiErr.Message
	}
	return "the write failed"
}

// Summary counts the outcomes.
type Summary struct {
	Added, Replaced, Skipped, Invalid, Failed int
}

// Summarize counts results.
func Summarize(results []Result) Summary {
	var s Summary
	for _, r := range results {
		switch r.Outcome {
		case Added:
			s.Added++
		case Replaced:
			s.Replaced++
		case Skipped:
			s.Skipped++
		case Invalid:
			s.Invalid++
		case Failed:
			s.Failed++
		}
	}
	return s
}

func (s Summary) String() string {
	return fmt.Sprintf("%d added, %d replaced, %d skipped, %d invalid, %d failed", s.Added, s.Replaced, s.Skipped, s.Invalid, s.Failed)
}
