package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/tlsconf"
)

// Over https the client pins the daemon's certificate from <metadata_dir>/tls/cert.pem and
// refuses another one.
func TestCLIPinsTheDaemonsCertificate(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "  tls: \"on\"\n")
	home := t.TempDir()
	p := start(t, cfg)
	if !strings.HasPrefix(p.api, "https://") {
		t.Fatalf("api %s is not https", p.api)
	}
	r := runCLI(t, home, "", nil, "status", "-c", cfg).ok(t, "status over https")
	if !strings.Contains(r.stdout, "TLS:       SHA-256 ") || !strings.Contains(r.stdout, "(self-signed)") {
		t.Fatalf("status:\n%s", r.stdout)
	}
	runCLI(t, home, "pinned-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password over https")
	runCLI(t, home, "", []string{envPassword + "=pinned-password"}, "token", "ls", "-c", cfg).ok(t, "token ls over https")
	certFile := filepath.Join(dir, tlsconf.Dir, tlsconf.CertName)
	if err := os.WriteFile(certFile, otherCertPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, home, "", nil, "status", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "neither the local daemon's") {
		t.Fatalf("status with another pinned certificate: exit %d %q", r.code, r.stderr)
	}
	p.stop()
}

// otherCertPEM is a fresh self-signed certificate, not the daemon's.
func otherCertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
