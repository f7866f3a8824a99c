package keyring

import (
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// newStore opens a bbolt store in a temporary folder, closed at the end of the test.
func newStore(t *testing.T) persist.Store {
	t.Helper()
	s, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// cheapKDF lowers argon2id's costs for the test, so passphrase tests stay fast.
func cheapKDF(t *testing.T) {
	t.Helper()
	saved := kdf
	kdf = kdfParams{time: 1, memoryKiB: 64, threads: 1}
	t.Cleanup(func() { kdf = saved })
}

// testKey is a fixed key for one test, as hex.
func testKey(b byte) string { return strings.Repeat(hex.EncodeToString([]byte{b}), keySize) }

// mustOpen opens a keyring or fails the test.
func mustOpen(t *testing.T, cfg Config, s persist.Store) *Keyring {
	t.Helper()
	k, err := Open(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// envConfig is an enabled env-provider config reading variable name.
func envConfig(name string) Config {
	return Config{Enabled: true, Provider: ProviderEnv, Env: name}
}

// storedProvider is the provider the stored KeyCheck record names.
func storedProvider(t *testing.T, s persist.Store) string {
	t.Helper()
	rec, err := readCheck(s)
	if err != nil || rec == nil {
		t.Fatalf("key check record: %v %v", rec, err)
	}
	return rec.GetProvider()
}

// noKeyIn fails when msg contains the hex key.
func noKeyIn(t *testing.T, msg, hexKey string) {
	t.Helper()
	if strings.Contains(strings.ToLower(msg), strings.ToLower(hexKey[:16])) {
		t.Fatalf("error message leaks key material: %s", msg)
	}
}
