package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func fileConfig(dir string) Config {
	c := Config{Enabled: true}
	c.Defaults(dir)
	return c
}

func TestFileProviderCreatesAndReuses(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t)
	k1 := mustOpen(t, fileConfig(dir), s)
	fi, err := os.Stat(filepath.Join(dir, DefaultKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	if got := k1.Status(); got != (Status{Enabled: true, Provider: ProviderFile}) {
		t.Fatalf("status %+v", got)
	}
	sealed, err := k1.Seal("identity", []byte("node key"))
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(filepath.Join(dir, DefaultKeyFileName))

	k2 := mustOpen(t, fileConfig(dir), s) // a restart
	if b2, _ := os.ReadFile(filepath.Join(dir, DefaultKeyFileName)); string(b1) != string(b2) {
		t.Fatal("key file rewritten on the second start")
	}
	if pt, err := k2.Open("identity", sealed); err != nil || string(pt) != "node key" {
		t.Fatalf("reopen: %q %v", pt, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("stray files beside the key file: %v", entries)
	}
}

func TestFileProviderRefusesInsecureMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	dir := t.TempDir()
	s := newStore(t)
	mustOpen(t, fileConfig(dir), s)
	path := filepath.Join(dir, DefaultKeyFileName)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(fileConfig(dir), s)
		if !errors.Is(err, ErrInsecureKeyFile) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Fatalf("mode %04o: %v", mode, err)
		}
	}
}

func TestFileProviderMissingFileOnSealedStore(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t)
	mustOpen(t, fileConfig(dir), s)
	path := filepath.Join(dir, DefaultKeyFileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err := Open(fileConfig(dir), s)
	if !errors.Is(err, ErrMissingKey) {
		t.Fatalf("missing key file on a sealed store: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a new key file was created for a store sealed with another key")
	}
}

func TestFileProviderMalformedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultKeyFileName)
	secret := testKey(0xab)[:63] + "g"
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(fileConfig(dir), newStore(t))
	if !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("malformed key file: %v", err)
	}
	noKeyIn(t, err.Error(), secret)
}

// writeKeyFile puts hexKey in dir's default key file at mode 0600.
func writeKeyFile(dir, hexKey string) error {
	return os.WriteFile(filepath.Join(dir, DefaultKeyFileName), []byte(hexKey+"\n"), 0o600)
}
