package localapi

import (
	"fmt"
	"os"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// Mode says who opens a data directory.
type Mode int

const (
	// AsServer is the API server: it takes the directory's lock for as long
	// as the store is open (one server per directory), and, as the only
	// writer of secrets, keeps their names in memory.
	AsServer Mode = iota + 1
	// AsAdmin is an admin command (team, key, member, store): it runs beside
	// a server.
	AsAdmin
)

// Open opens (creating if needed) the store in dataDir as mode says, its
// master key from TEAMSECRETS_MASTER_KEY or dataDir/master.key.
func Open(dataDir string, mode Mode) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	key, err := LoadMasterKey(dataDir)
	if err != nil {
		return nil, err
	}
	return open(dataDir, mode, key)
}

// OpenStore opens, as its server, the store in dataDir (making it if
// there is none) with a master key given by the caller (tests, tools).
func OpenStore(dataDir string, key []byte) (*Store, error) {
	return open(dataDir, AsServer, key)
}

func open(dataDir string, mode Mode, key []byte) (*Store, error) {
	if mode != AsServer && mode != AsAdmin {
		return nil, fmt.Errorf("open store: unknown mode %d", mode)
	}
	seal, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	b, err := sqlite.Open(dataDir, sqlite.Options{Create: true, Own: mode == AsServer})
	if err != nil {
		return nil, err
	}
	return newStore(b, seal), nil
}

// newStore puts the vault, which seals values, on a backend.
func newStore(b store.Backend, seal *sealer) *Store {
	return &Store{backend: b, vault: &vault{seal: seal, secrets: b}}
}
