package keyring

import "testing"

func BenchmarkSeal64(b *testing.B) {
	k := testKeyring(1)
	pt := make([]byte, 64)
	b.SetBytes(64)
	for b.Loop() {
		if _, err := k.Seal("vault_key", pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen64(b *testing.B) {
	k := testKeyring(1)
	sealed, _ := k.Seal("vault_key", make([]byte, 64))
	b.SetBytes(64)
	for b.Loop() {
		if _, err := k.Open("vault_key", sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArgon2id measures one passphrase derivation at the production costs (target < 1 s).
func BenchmarkArgon2id(b *testing.B) {
	salt := make([]byte, saltSize)
	for b.Loop() {
		deriveKey([]byte("correct horse battery staple"), salt, kdf)
	}
}
