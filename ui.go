package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"teamsecrets/cloud"
	"teamsecrets/handlers"
	"teamsecrets/keyfile"
	"teamsecrets/localapi/store"
)

// SessionKeysEnv names the comma-separated session keys, newest first.
const SessionKeysEnv = "TEAMSECRETS_SESSION_KEYS"

// newUI builds the web UI, talking to the GraphQL API at apiURL. With
// transport set (the embedded API), calls stay in the process.
// m (nil: none) counts its routes and refused sign-ins; shared, when set,
// is the state instances on one database share.
func newUI(cfg config, sessionKeys [][]byte, apiURL string, transport http.RoundTripper, m handlers.Metrics, shared store.Shared) http.Handler {
	policy := cloud.DefaultRetryPolicy
	policy.AttemptTimeout = min(policy.AttemptTimeout, cfg.APITimeout)
	ui := handlers.Config{
		API:           cloud.New(apiURL, transport, policy),
		SessionKeys:   sessionKeys,
		SecureCookies: cfg.SecureCookies,
		TrustProxy:    cfg.TrustProxy,
		IdleTimeout:   cfg.IdleTimeout,
		MaxLifetime:   cfg.MaxLifetime,
		APITimeout:    cfg.APITimeout,
		Metrics:       m,
	}
	if shared != nil {
		ui.Revocations, ui.SharedLimits = shared, shared
	}
	return handlers.New(ui)
}

// loadSessionKeys reads TEAMSECRETS_SESSION_KEYS, or dataDir/session.keys,
// creating that file (0600) with one random key on first start.
func loadSessionKeys(dataDir string) ([][]byte, error) {
	if v := os.Getenv(SessionKeysEnv); strings.TrimSpace(v) != "" {
		return splitKeys(v, SessionKeysEnv)
	}
	path := filepath.Join(dataDir, "session.keys")
	text, err := keyfile.Read(path)
	if err == nil {
		return splitKeys(text, path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := base64.RawURLEncoding.EncodeToString(raw)
	if err := keyfile.Create(path, key); errors.Is(err, os.ErrExist) {
		return loadSessionKeys(dataDir) // another process made it first
	} else if err != nil {
		return nil, err
	}
	return [][]byte{[]byte(key)}, nil
}

// splitKeys parses keys separated by commas or newlines; each must be at
// least 32 characters.
func splitKeys(s, from string) ([][]byte, error) {
	var keys [][]byte
	for _, k := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if len(k) < 32 {
			return nil, fmt.Errorf("%s: each session key must be at least 32 characters", from)
		}
		keys = append(keys, []byte(k))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no session key", from)
	}
	return keys, nil
}
