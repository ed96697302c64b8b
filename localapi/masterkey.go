package localapi

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"teamsecrets/keyfile"
	"teamsecrets/localapi/store/sqlite"
)

// MasterKeyEnv names the environment variable that may hold the base64
// 32-byte key for values at rest.
const MasterKeyEnv = "TEAMSECRETS_MASTER_KEY"

// MasterKeyFile is the master key's file in the data directory, used when
// TEAMSECRETS_MASTER_KEY is not set.
const MasterKeyFile = "master.key"

// masterKey is the key ring for values at rest and where it came from,
// for messages (never a key itself).
//
// A source may hold several keys: TEAMSECRETS_MASTER_KEY separated by
// commas, master.key one a line, the newest first. Every key of the ring
// may open values; new values are sealed under the one that opens the
// store's key check (keyring.go). A rotation (rotate.go) puts a new key
// first, reseals everything under it, and drops the old one.
type masterKey struct {
	keys   [][]byte // in the source's order
	source string   // MasterKeyEnv, the file's path, or what gave it
	file   string   // the file's path, when the ring came from one
	// created: the file was made by this open (a new store's key).
	created bool
	// besideFile: with TEAMSECRETS_MASTER_KEY, the data directory's
	// master.key when one is there (not used, but a process started
	// without the variable would use it).
	besideFile string
}

// LoadMasterKey returns the master key from the environment (base64) or
// from dataDir/master.key (the first, with a key ring). It creates that
// file (mode 0600) only when dataDir holds no store yet: a store's key is
// never regenerated.
func LoadMasterKey(dataDir string) ([]byte, error) {
	holds, err := sqlite.Holds(dataDir)
	if err != nil {
		return nil, err
	}
	mk, err := loadMasterKey(dataDir, !holds, dataDir)
	if err != nil {
		return nil, err
	}
	return mk.keys[0], nil
}

// loadMasterKey reads TEAMSECRETS_MASTER_KEY, else dataDir/master.key. When
// neither is there, it makes a new key file if mayCreate (a new store), and
// otherwise refuses: without its key a store's values cannot be read, and a
// new key would only seal new values under the wrong one. where names the
// store in that refusal.
func loadMasterKey(dataDir string, mayCreate bool, where string) (masterKey, error) {
	if v := strings.TrimSpace(os.Getenv(MasterKeyEnv)); v != "" {
		keys, err := parseKeyRing(strings.Split(v, ","))
		if err != nil {
			return masterKey{}, fmt.Errorf("%s must be base64 of 32 bytes, or several such keys separated by commas, the newest first: %w",
				MasterKeyEnv, err)
		}
		mk := masterKey{keys: keys, source: MasterKeyEnv}
		if path := filepath.Join(dataDir, MasterKeyFile); dataDir != "" && fileExists(path) {
			mk.besideFile = path
		}
		return mk, nil
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	mk, err := readMasterKeyFile(path)
	if !errors.Is(err, os.ErrNotExist) {
		return mk, err
	}
	if !mayCreate {
		return masterKey{}, masterKeyMissing(where, dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return masterKey{}, fmt.Errorf("create data dir: %w", err)
	}
	key := newMasterKey()
	err = keyfile.Create(path, base64.StdEncoding.EncodeToString(key))
	if errors.Is(err, os.ErrExist) {
		return readMasterKeyFile(path) // another process made it first
	}
	if err != nil {
		return masterKey{}, fmt.Errorf("create %s: %w", path, err)
	}
	return masterKey{keys: [][]byte{key}, source: path, file: path, created: true}, nil
}

func readMasterKeyFile(path string) (masterKey, error) {
	text, err := keyfile.Read(path)
	if err != nil {
		return masterKey{}, err
	}
	keys, err := parseKeyRing(strings.Split(text, "\n"))
	if err != nil {
		return masterKey{}, fmt.Errorf("%s: must hold a base64 32-byte key, or several one a line, the newest first: %w", path, err)
	}
	return masterKey{keys: keys, source: path, file: path}, nil
}

// parseKeyRing decodes base64 keys (space around each is ignored). Its
// errors say which key is wrong, never what it holds.
func parseKeyRing(texts []string) ([][]byte, error) {
	keys := make([][]byte, 0, len(texts))
	for i, t := range texts {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t))
		if err != nil || len(key) != 32 {
			if len(texts) == 1 {
				return nil, errors.New("it is not")
			}
			return nil, fmt.Errorf("key %d of %d is not", i+1, len(texts))
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// newMasterKey is 32 random bytes.
func newMasterKey() []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return key
}

// formatKeyRing is a ring as master.key holds it: one base64 key a line.
func formatKeyRing(keys ...[]byte) string {
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = base64.StdEncoding.EncodeToString(k)
	}
	return strings.Join(lines, "\n")
}

// fileExists reports whether path exists (an unreadable answer counts as
// existing: refusing is the safe side).
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
