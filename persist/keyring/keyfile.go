package keyring

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFile bounds what is read from a key file: 64 hex characters and some space.
const maxKeyFile = 4 << 10

// loadKeyFile reads the master key from path. When the file does not exist, it creates one
// with a fresh key if create is set (first start of a store) and fails otherwise: a new key
// could not open what the old one sealed.
func loadKeyFile(path string, create bool) (*[keySize]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w: key file %s does not exist, but this store's secrets are sealed with a master key: restore the file from a backup (a new key would not open them)", ErrMissingKey, path)
		}
		return createKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyring: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keyring: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o; run `chmod 600 %s` (and check no one else copied it)", ErrInsecureKeyFile, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("keyring: read key file %s: %w", path, err)
	}
	k, err := parseHexKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w: key file %s does not hold 64 hex characters (32 bytes)", err, path)
	}
	return k, nil
}

// createKeyFile writes a fresh key to path at mode 0600: a temporary file in the same folder,
// synced, then renamed, so a crash never leaves a partial key file behind.
func createKeyFile(path string) (*[keySize]byte, error) {
	k, err := newKey()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master.key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(k[:]) + "\n"); err != nil {
		return nil, fmt.Errorf("keyring: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("keyring: sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("keyring: write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	return k, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
