package tlsconf

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/meshhold/meshhold/persist/configfile"
)

// loadSelfSigned reuses the pair in <metadataDir>/tls/, generating it when either file is
// missing or the certificate has expired. A pair that exists but does not parse or match is
// an error, not silently replaced: clients may have pinned it.
func loadSelfSigned(metadataDir, bind string, log *slog.Logger, e env) (*Material, error) {
	dir := filepath.Join(metadataDir, Dir)
	cs := source{name: "self-signed certificate", path: filepath.Join(dir, CertName)}
	ks := source{name: "self-signed key", path: filepath.Join(dir, KeyName)}
	if err := ensureDir(dir, log); err != nil {
		return nil, err
	}
	certPEM, cerr := cs.read()
	keyPEM, kerr := ks.read()
	for _, err := range []error{cerr, kerr} {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	switch {
	case cerr != nil && kerr != nil:
		m, err := generate(cs, ks, bind, e)
		if err == nil {
			log.Info("generated a self-signed TLS certificate for the API", "cert_file", cs.path,
				"fingerprint", m.Fingerprint(), "not_after", m.cert.Leaf.NotAfter)
		}
		return m, err
	case cerr != nil || kerr != nil:
		missing := cs.path
		if kerr != nil {
			missing = ks.path
		}
		log.Warn("regenerating the self-signed TLS certificate: a file is missing; clients that pinned the old fingerprint must pin the new one",
			"missing", missing)
		return regenerate(cs, ks, bind, log, e)
	}
	cert, err := parsePair(cs, ks, certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w (delete %s to generate a new pair)", err, dir)
	}
	if e.now.After(cert.Leaf.NotAfter) {
		log.Warn("regenerating the self-signed TLS certificate: it has expired; clients that pinned the old fingerprint must pin the new one",
			"cert_file", cs.path, "not_after", cert.Leaf.NotAfter, "old_fingerprint", Fingerprint(cert.Certificate[0]))
		return regenerate(cs, ks, bind, log, e)
	}
	if err := tightenKey(ks.path, log); err != nil {
		return nil, err
	}
	m := newMaterial(cert, cs.path, true)
	log.Info("serving the API over TLS with the self-signed certificate", "cert_file", cs.path,
		"fingerprint", m.Fingerprint(), "not_after", cert.Leaf.NotAfter)
	return m, nil
}

// regenerate replaces the pair and logs the new fingerprint.
func regenerate(cs, ks source, bind string, log *slog.Logger, e env) (*Material, error) {
	m, err := generate(cs, ks, bind, e)
	if err != nil {
		return nil, err
	}
	log.Warn("generated a new self-signed TLS certificate", "cert_file", cs.path,
		"fingerprint", m.Fingerprint(), "not_after", m.cert.Leaf.NotAfter)
	return m, nil
}

// generate makes a pair and writes it: the certificate is removed first and written last, so
// a crash in between leaves it missing and the next start generates again.
func generate(cs, ks source, bind string, e env) (*Material, error) {
	certPEM, keyPEM, err := newPair(bind, e)
	if err != nil {
		return nil, err
	}
	cert, err := parsePair(cs, ks, certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: generated pair: %w", err)
	}
	if err := os.Remove(cs.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tlsconf: remove old certificate: %w", err)
	}
	if err := configfile.WriteAtomic(ks.path, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	if err := configfile.WriteAtomic(cs.path, certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	return newMaterial(cert, cs.path, true), nil
}

// ensureDir creates the tls folder at mode 0700, or narrows an existing one to it.
func ensureDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsconf: create %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	if fi.Mode().Perm() != 0o700 {
		log.Warn("narrowing the TLS folder to mode 0700", "dir", dir, "mode", fi.Mode().Perm().String())
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("tlsconf: chmod %s: %w", dir, err)
		}
	}
	return nil
}

// tightenKey sets the key file to mode 0600 when others could read it.
func tightenKey(path string, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	log.Warn("narrowing the TLS key file to mode 0600", "key_file", path, "mode", fi.Mode().Perm().String())
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("tlsconf: chmod %s: %w", path, err)
	}
	return nil
}
