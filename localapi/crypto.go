package localapi

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

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
	return s.openAD(sealed, additionalData(tenantID, name))
}

func (s *sealer) openAD(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], ad)
}

// The key check is a known text sealed under the master key when the store
// gets it. Its additional data holds no NUL byte, so it is never the
// additional data of a secret (team id, NUL, name): the check cannot be
// moved into a secret's row or the other way round.
var (
	keyCheckAD   = []byte("teamsecrets master key check")
	keyCheckText = []byte("teamsecrets master key check, version 1")
)

// sealCheck seals the key check.
func (s *sealer) sealCheck() ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, keyCheckText, keyCheckAD), nil
}

// opensCheck reports whether sealed is a key check sealed under this key.
func (s *sealer) opensCheck(sealed []byte) bool {
	plain, err := s.openAD(sealed, keyCheckAD)
	return err == nil && bytes.Equal(plain, keyCheckText)
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
