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

// masterKey is the key for values at rest and where it came from, for
// messages (never the key itself).
type masterKey struct {
	key    []byte
	source string // MasterKeyEnv, the file's path, or what gave it
	// created: the file was made by this open (a new store's key).
	created bool
}

// LoadMasterKey returns the master key from the environment (base64) or
// from dataDir/master.key. It creates that file (mode 0600) only when
// dataDir holds no store yet: a store's key is never regenerated.
func LoadMasterKey(dataDir string) ([]byte, error) {
	holds, err := sqlite.Holds(dataDir)
	if err != nil {
		return nil, err
	}
	mk, err := loadMasterKey(dataDir, !holds, dataDir)
	return mk.key, err
}

// loadMasterKey reads TEAMSECRETS_MASTER_KEY, else dataDir/master.key. When
// neither is there, it makes a new key file if mayCreate (a new store), and
// otherwise refuses: without its key a store's values cannot be read, and a
// new key would only seal new values under the wrong one. where names the
// store in that refusal.
func loadMasterKey(dataDir string, mayCreate bool, where string) (masterKey, error) {
	if v := strings.TrimSpace(os.Getenv(MasterKeyEnv)); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return masterKey{}, fmt.Errorf("%s must be base64 of 32 bytes", MasterKeyEnv)
		}
		return masterKey{key: key, source: MasterKeyEnv}, nil
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
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return masterKey{}, err
	}
	err = keyfile.Create(path, base64.StdEncoding.EncodeToString(key))
	if errors.Is(err, os.ErrExist) {
		return readMasterKeyFile(path) // another process made it first
	}
	if err != nil {
		return masterKey{}, fmt.Errorf("create %s: %w", path, err)
	}
	return masterKey{key: key, source: path, created: true}, nil
}

func readMasterKeyFile(path string) (masterKey, error) {
	text, err := keyfile.Read(path)
	if err != nil {
		return masterKey{}, err
	}
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != 32 {
		return masterKey{}, fmt.Errorf("%s: not a base64 32-byte key", path)
	}
	return masterKey{key: key, source: path}, nil
}

// fileExists reports whether path exists (an unreadable answer counts as
// existing: refusing is the safe side).
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
