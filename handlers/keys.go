package handlers

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// deriveSessionKeys turns one configured session key into the HMAC and
// AES keys securecookie needs.
func deriveSessionKeys(secret []byte) (hashKey, blockKey []byte) {
	hashKey, err := hkdf.Key(sha256.New, secret, nil, "teamsecrets session hmac", 32)
	if err != nil {
		panic(err)
	}
	blockKey, err = hkdf.Key(sha256.New, secret, nil, "teamsecrets session aes", 32)
	if err != nil {
		panic(err)
	}
	return hashKey, blockKey
}

// deriveCSRFKey turns one configured session key into the key that signs
// form tokens.
func deriveCSRFKey(secret []byte) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, "teamsecrets csrf", 32)
	if err != nil {
		panic(err)
	}
	return key
}
