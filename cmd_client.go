package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"teamsecrets/bridge"
	"teamsecrets/cloud"
)

// APIKeyEnv holds the API key `run` and `import` act with. There is no flag
// for the key itself: it would show in ps.
const APIKeyEnv = "TEAMSECRETS_API_KEY"

// apiFlags are the flags `run` and `import` share.
type apiFlags struct {
	apiURL, keyFile, team string
}

func (f *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.apiURL, "api-url", defaultAPIURL, "a Cloud-compatible GraphQL endpoint")
	fs.StringVar(&f.keyFile, "key-file", "", "read the API key from this file (default: the "+APIKeyEnv+" environment variable)")
	fs.StringVar(&f.team, "team", "", "the team's slug (default: the key's own team)")
}

// key reads the API key from --key-file or the environment.
func (f *apiFlags) key() (string, error) {
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return "", fmt.Errorf("read --key-file: %w", err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, nil
		}
		return "", fmt.Errorf("--key-file %s is empty", f.keyFile)
	}
	if k := strings.TrimSpace(os.Getenv(APIKeyEnv)); k != "" {
		return k, nil
	}
	return "", fmt.Errorf("no API key: set %s or pass --key-file", APIKeyEnv)
}

// connect returns a client and a context that carries the key and, with
// --team, the team's id (found with its slug).
func (f *apiFlags) connect(ctx context.Context) (context.Context, *cloud.Client, error) {
	key, err := f.key()
	if err != nil {
		return nil, nil, err
	}
	api := cloud.New(f.apiURL, nil, cloud.DefaultRetryPolicy)
	ctx = cloud.WithCredentials(ctx, key, "")
	if f.team == "" {
		return ctx, api, nil
	}
	id, err := bridge.New(api).TeamID(ctx, f.team)
	if errors.Is(err, bridge.ErrNoTeam) {
		return nil, nil, fmt.Errorf("no team %q among this key's teams", f.team)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find team %q: %w", f.team, err)
	}
	return cloud.WithCredentials(ctx, key, id), api, nil
}

// teamLabel names the team in messages.
func (f *apiFlags) teamLabel() string {
	if f.team == "" {
		return "the key's team"
	}
	return "team " + f.team
}

// quoteNames lists names for one line of output: quoted, so a name of any
// shape stays on its line.
func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
