// Package vaultcrypt holds every format that protects a vault's bytes: convergent block
// encryption (AES-256-GCM with key and nonce derived from a keyed hash of the plaintext,
// addressed by the SHA-256 of the ciphertext), the streamed keyed content hash, the
// deterministic record AEAD the vault core seals versions with, and the password wrap of a
// vault key. Every format is pinned by golden vectors in testdata/vectors.json; docs/vaults-bytes.md
// describes them byte by byte.
package vaultcrypt
