package keyring

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestDifferentKeyRefused(t *testing.T) {
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(4))
	mustOpen(t, envConfig("MH_TEST_KEY"), s)
	t.Setenv("MH_TEST_KEY", testKey(5))
	_, err := Open(envConfig("MH_TEST_KEY"), s)
	if !errors.Is(err, ErrKeyMismatch) || !contains(err.Error(), "provider env") {
		t.Fatalf("other key: %v", err)
	}
	noKeyIn(t, err.Error(), testKey(4))
	noKeyIn(t, err.Error(), testKey(5))

	// A fresh key file is no way around it either.
	_, err = Open(fileConfig(t.TempDir()), s)
	if !errors.Is(err, ErrMissingKey) {
		t.Fatalf("file provider on an env-sealed store: %v", err)
	}
	if storedProvider(t, s) != ProviderEnv {
		t.Fatal("a refused start changed the record")
	}
}

func TestSameKeyFromAnotherProvider(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(6))
	k := mustOpen(t, envConfig("MH_TEST_KEY"), s)
	sealed, _ := k.Seal("identity", []byte("id"))
	if err := writeKeyFile(dir, testKey(6)); err != nil {
		t.Fatal(err)
	}
	k = mustOpen(t, fileConfig(dir), s)
	if pt, err := k.Open("identity", sealed); err != nil || string(pt) != "id" {
		t.Fatalf("same key via a file: %q %v", pt, err)
	}
	if got := storedProvider(t, s); got != ProviderFile {
		t.Fatalf("record provider %q after the move, want file", got)
	}
}

func disabledConfig(t *testing.T) Config {
	var c Config
	c.Defaults(t.TempDir())
	return c
}

func TestDisabled(t *testing.T) {
	s := newStore(t)
	k := mustOpen(t, disabledConfig(t), s)
	if got := k.Status(); got != (Status{Enabled: false, Provider: ProviderNone}) {
		t.Fatalf("status %+v", got)
	}
	sealed, err := k.Seal("token", []byte("plain"))
	if err != nil || string(sealed) != "plain" {
		t.Fatalf("disabled seal: %q %v", sealed, err)
	}
	if pt, err := k.Open("token", sealed); err != nil || string(pt) != "plain" {
		t.Fatalf("disabled open: %q %v", pt, err)
	}
	if storedProvider(t, s) != ProviderNone {
		t.Fatal("no provider none record")
	}
	mustOpen(t, disabledConfig(t), s) // restarts stay fine

	t.Setenv("MH_TEST_KEY", testKey(7))
	if _, err := Open(envConfig("MH_TEST_KEY"), s); !errors.Is(err, ErrModeChanged) {
		t.Fatalf("switching on: %v", err)
	}
}

func TestDisablingSealedStoreRefused(t *testing.T) {
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(8))
	mustOpen(t, envConfig("MH_TEST_KEY"), s)
	_, err := Open(Config{Provider: ProviderEnv, Env: "MH_TEST_KEY"}, s)
	if !errors.Is(err, ErrModeChanged) {
		t.Fatalf("switching off: %v", err)
	}
}

func TestKeyringNeverPrintsKey(t *testing.T) {
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(9))
	k := mustOpen(t, envConfig("MH_TEST_KEY"), s)
	k.Seal("x", nil)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, k)
		if contains(out, "9, 9") || contains(out, "0x9") || contains(out, testKey(9)[:8]) || contains(out, "[9 9") {
			t.Fatalf("%s prints key material: %s", f, out)
		}
	}
}
