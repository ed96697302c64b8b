package localapi

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"teamsecrets/keyfile"
)

// MasterKeyEnv names the environment variable that may hold the base64
// 32-byte key for values at rest.
const MasterKeyEnv = "TEAMSECRETS_MASTER_KEY"

// sealer encrypts secret values with AES-256-GCM. The team id and the secret
// name are bound as additional data, so a ciphertext copied to another row
// does not decrypt.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func additionalData(tenantID, name string) []byte {
	return []byte(tenantID + "\x00" + name)
}

// seal returns nonce||ciphertext.
func (s *sealer) seal(tenantID, name string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, additionalData(tenantID, name)), nil
}

func (s *sealer) open(tenantID, name string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], additionalData(tenantID, name))
}

// LoadMasterKey returns the master key from the environment (base64) or from
// dataDir/master.key, creating that file with mode 0600 on first use.
func LoadMasterKey(dataDir string) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv(MasterKeyEnv)); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s must be base64 of 32 bytes", MasterKeyEnv)
		}
		return key, nil
	}
	return loadOrCreateKeyFile(filepath.Join(dataDir, "master.key"))
}

// loadOrCreateKeyFile reads a base64 32-byte key, or writes a new random one
// with mode 0600 when the file does not exist.
func loadOrCreateKeyFile(path string) ([]byte, error) {
	text, err := keyfile.Read(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(text)
		if derr != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s: not a base64 32-byte key", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err = keyfile.Create(path, base64.StdEncoding.EncodeToString(key))
	if errors.Is(err, os.ErrExist) {
		return loadOrCreateKeyFile(path) // another process made it first
	}
	if err != nil {
		return nil, err
	}
	return key, nil
}

// hashKey is how API keys are stored. Keys are 256-bit random strings, so a
// single SHA-256 is enough: there is nothing to brute-force.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// newAPIKey returns a fresh random API key.
func newAPIKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "tsk_" + base64.RawURLEncoding.EncodeToString(b)
}
