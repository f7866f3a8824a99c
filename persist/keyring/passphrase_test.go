package keyring

import (
	"errors"
	"testing"
)

func passConfig() Config {
	return Config{Enabled: true, Provider: ProviderPassphrase, Env: "MH_TEST_PASS"}
}

func TestPassphraseProvider(t *testing.T) {
	cheapKDF(t)
	s := newStore(t)
	t.Setenv("MH_TEST_PASS", "correct horse battery staple")
	k := mustOpen(t, passConfig(), s)
	rec, _ := readCheck(s)
	if len(rec.GetSalt()) != saltSize || rec.GetProvider() != ProviderPassphrase {
		t.Fatalf("record: provider %q, %d-byte salt", rec.GetProvider(), len(rec.GetSalt()))
	}
	sealed, _ := k.Seal("vault_key", []byte("vk"))

	k = mustOpen(t, passConfig(), s)
	if pt, err := k.Open("vault_key", sealed); err != nil || string(pt) != "vk" {
		t.Fatalf("right passphrase: %q %v", pt, err)
	}

	t.Setenv("MH_TEST_PASS", "correct horse battery stapler")
	_, err := Open(passConfig(), s)
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if want := "provider passphrase"; !contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}

	t.Setenv("MH_TEST_PASS", "")
	if _, err := Open(passConfig(), s); !errors.Is(err, ErrMissingKey) {
		t.Fatalf("unset passphrase: %v", err)
	}
}

func TestPassphraseOnStoreWithoutSalt(t *testing.T) {
	cheapKDF(t)
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(3))
	mustOpen(t, envConfig("MH_TEST_KEY"), s)
	t.Setenv("MH_TEST_PASS", "anything")
	if _, err := Open(passConfig(), s); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("passphrase on an env-sealed store: %v", err)
	}
}

// A store keeps the argon2id costs it was created with: raising the defaults later does not
// lock it out.
func TestPassphraseKeepsItsCosts(t *testing.T) {
	cheapKDF(t)
	s := newStore(t)
	t.Setenv("MH_TEST_PASS", "correct horse battery staple")
	k := mustOpen(t, passConfig(), s)
	sealed, _ := k.Seal("vault_key", []byte("vk"))
	kdf = kdfParams{time: 2, memoryKiB: 128, threads: 1} // a later release raises the costs
	k = mustOpen(t, passConfig(), s)
	if pt, err := k.Open("vault_key", sealed); err != nil || string(pt) != "vk" {
		t.Fatalf("after the default costs changed: %q %v", pt, err)
	}
}
