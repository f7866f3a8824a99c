package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
)

// testPair makes an RSA certificate for nas.example.org and its PKCS #1 key, as PEM.
func testPair(t *testing.T, notAfter time.Time) (certPEM, keyPEM, der []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "nas.example.org"},
		DNSNames:     []string{"nas.example.org"},
		NotBefore:    t0.Add(-24 * time.Hour),
		NotAfter:     notAfter,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return certPEM, keyPEM, der
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func filesConfig(cert, key string) api.Config {
	c := api.Defaults()
	c.Bind = "127.0.0.1:8443" // loopback: cert_file alone turns TLS on under "auto"
	c.CertFile, c.KeyFile = cert, key
	return c
}

func TestCustomPairHonoured(t *testing.T) {
	dir, meta := t.TempDir(), t.TempDir()
	certPEM, keyPEM, der := testPair(t, t0.Add(90*24*time.Hour))
	certPath, keyPath := writeFile(t, dir, "cert.pem", certPEM), writeFile(t, dir, "key.pem", keyPEM)
	m := mustLoad(t, filesConfig(certPath, keyPath), meta, nil, testEnv(t0))
	if m.SelfSigned() || m.CertFile() != certPath || m.Fingerprint() != Fingerprint(der) {
		t.Errorf("SelfSigned %v, CertFile %q, Fingerprint %s", m.SelfSigned(), m.CertFile(), m.Fingerprint())
	}
	if string(m.CertPEM()) != string(certPEM) {
		t.Error("CertPEM is not the file's certificate")
	}
	if _, err := os.Stat(filepath.Join(meta, Dir)); !os.IsNotExist(err) {
		t.Error("a self-signed pair was generated although cert_file is set")
	}

	log, buf := logBuf()
	mustLoad(t, filesConfig(certPath, keyPath), meta, log, testEnv(t0.Add(100*24*time.Hour)))
	if !strings.Contains(buf.String(), "level=WARN msg=\"api.cert_file has expired") {
		t.Errorf("expired cert_file not warned about:\n%s", buf)
	}
}

func TestCustomPairErrors(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, der := testPair(t, t0.Add(time.Hour))
	_, otherKeyPEM, _ := testPair(t, t0.Add(time.Hour))
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	cert := writeFile(t, dir, "cert.pem", certPEM)
	key := writeFile(t, dir, "key.pem", keyPEM)
	missing := filepath.Join(dir, "nope.pem")
	for name, c := range map[string]struct {
		cert, key string
		parts     []string
	}{
		"missing cert":    {missing, key, []string{"api.cert_file", missing, "does not exist"}},
		"missing key":     {cert, missing, []string{"api.key_file", missing, "does not exist"}},
		"cert not PEM":    {writeFile(t, dir, "junk.pem", []byte("hello")), key, []string{"api.cert_file", "not PEM"}},
		"cert is DER":     {writeFile(t, dir, "cert.der", der), key, []string{"api.cert_file", "DER"}},
		"key not PEM":     {cert, writeFile(t, dir, "junk.key", []byte("hello")), []string{"api.key_file", "not PEM"}},
		"swapped":         {key, cert, []string{"api.cert_file", "swapped"}},
		"key is cert":     {cert, cert, []string{"api.key_file", "swapped"}},
		"mismatched key":  {cert, writeFile(t, dir, "other.pem", otherKeyPEM), []string{"api.key_file", "does not match", "api.cert_file"}},
		"mismatched type": {cert, writeFile(t, dir, "ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), []string{"api.key_file", "does not match"}},
		"encrypted key": {cert, writeFile(t, dir, "enc.pem", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})),
			[]string{"api.key_file", "encrypted"}},
		"bad key DER": {cert, writeFile(t, dir, "bad.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}})),
			[]string{"api.key_file", "does not parse"}},
		"cert without key": {cert, "", []string{"api.cert_file", "set together"}},
	} {
		_, err := load(filesConfig(c.cert, c.key), t.TempDir(), nil, testEnv(t0))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, p := range c.parts {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %q does not mention %q", name, err, p)
			}
		}
	}
}

func TestCustomPairUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	dir := t.TempDir()
	certPEM, keyPEM, _ := testPair(t, t0.Add(time.Hour))
	cert, key := writeFile(t, dir, "cert.pem", certPEM), writeFile(t, dir, "key.pem", keyPEM)
	if err := os.Chmod(key, 0); err != nil {
		t.Fatal(err)
	}
	_, err := load(filesConfig(cert, key), t.TempDir(), nil, testEnv(t0))
	if err == nil || !strings.Contains(err.Error(), "api.key_file") || !strings.Contains(err.Error(), "not readable") {
		t.Errorf("err = %v", err)
	}
}
