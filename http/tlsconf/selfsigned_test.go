package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){31}$`)

func TestFirstStartGeneratesSecondReuses(t *testing.T) {
	dir := t.TempDir()
	log, buf := logBuf()
	m := mustLoad(t, autoPublic(), dir, log, testEnv(t0))
	if !strings.Contains(buf.String(), "generated a self-signed") || strings.Contains(buf.String(), "WARN") {
		t.Errorf("first start logged:\n%s", buf)
	}
	certPath, keyPath := filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem")
	if !m.SelfSigned() || m.CertFile() != certPath || !fingerprintRE.MatchString(m.Fingerprint()) {
		t.Errorf("SelfSigned %v, CertFile %q, Fingerprint %q", m.SelfSigned(), m.CertFile(), m.Fingerprint())
	}
	for path, want := range map[string]os.FileMode{filepath.Join(dir, "tls"): 0o700, keyPath: 0o600, certPath: 0o644} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, fi.Mode().Perm(), want)
		}
	}
	onDisk, _ := os.ReadFile(certPath)
	if string(onDisk) != string(m.CertPEM()) {
		t.Error("CertPEM differs from cert.pem")
	}

	leaf := m.cert.Leaf
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if leaf.Subject.CommonName != "meshhold TestHost" || leaf.SerialNumber.Sign() <= 0 {
		t.Errorf("CN %q, serial %v", leaf.Subject.CommonName, leaf.SerialNumber)
	}
	if !leaf.NotBefore.Equal(t0.Add(-time.Hour)) || !leaf.NotAfter.Equal(t0.Add(-time.Hour).Add(Validity)) {
		t.Errorf("valid %v – %v", leaf.NotBefore, leaf.NotAfter)
	}
	if want := []string{"localhost", "testhost"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("DNS SANs %q, want %q", leaf.DNSNames, want)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1", "192.0.2.10", "2001:db8::10"}; !slices.Equal(ips, want) {
		t.Errorf("IP SANs %q, want %q (no 0.0.0.0)", ips, want)
	}

	buf.Reset()
	again := mustLoad(t, autoPublic(), dir, log, testEnv(t0.Add(400*24*time.Hour)))
	if again.Fingerprint() != m.Fingerprint() || string(again.CertPEM()) != string(m.CertPEM()) {
		t.Errorf("second start changed the certificate: %s, then %s", m.Fingerprint(), again.Fingerprint())
	}
	if strings.Contains(buf.String(), "generated") || strings.Contains(buf.String(), "WARN") {
		t.Errorf("second start logged:\n%s", buf)
	}
}

func TestBindHostInSANs(t *testing.T) {
	for bind, want := range map[string]string{"nas.example.org:8443": "nas.example.org", "198.51.100.4:8443": "198.51.100.4", "[2001:db8::99]:8443": "2001:db8::99"} {
		cfg := autoPublic()
		cfg.Bind = bind
		leaf := mustLoad(t, cfg, t.TempDir(), nil, testEnv(t0)).cert.Leaf
		if err := leaf.VerifyHostname(want); err != nil {
			t.Errorf("bind %s: %v", bind, err)
		}
	}
}

func TestRegeneratesWhenExpiredOrMissing(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, autoPublic(), dir, nil, testEnv(t0))

	log, buf := logBuf()
	expired := mustLoad(t, autoPublic(), dir, log, testEnv(t0.Add(Validity+time.Hour)))
	if expired.Fingerprint() == first.Fingerprint() || !strings.Contains(buf.String(), "level=WARN msg=\"regenerating the self-signed TLS certificate: it has expired") {
		t.Errorf("expired: fingerprint %s (was %s), log:\n%s", expired.Fingerprint(), first.Fingerprint(), buf)
	}

	if err := os.Remove(filepath.Join(dir, "tls", "key.pem")); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	missing := mustLoad(t, autoPublic(), dir, log, testEnv(t0))
	if missing.Fingerprint() == expired.Fingerprint() || !strings.Contains(buf.String(), "level=WARN msg=\"regenerating the self-signed TLS certificate: a file is missing") {
		t.Errorf("missing key: fingerprint %s (was %s), log:\n%s", missing.Fingerprint(), expired.Fingerprint(), buf)
	}
	if again := mustLoad(t, autoPublic(), dir, nil, testEnv(t0)); again.Fingerprint() != missing.Fingerprint() {
		t.Error("the regenerated pair is not reused")
	}
}

func TestSelfSignedRepairsModes(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, autoPublic(), dir, nil, testEnv(t0))
	keyPath := filepath.Join(dir, "tls", "key.pem")
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "tls"), 0o755); err != nil {
		t.Fatal(err)
	}
	log, buf := logBuf()
	if m := mustLoad(t, autoPublic(), dir, log, testEnv(t0)); m.Fingerprint() != first.Fingerprint() {
		t.Error("fixing modes changed the pair")
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(buf.String(), "narrowing the TLS key file") || !strings.Contains(buf.String(), "narrowing the TLS folder") {
		t.Errorf("log:\n%s", buf)
	}
}

func TestCorruptSelfSignedRefused(t *testing.T) {
	dir := t.TempDir()
	mustLoad(t, autoPublic(), dir, nil, testEnv(t0))
	certPath := filepath.Join(dir, "tls", "cert.pem")
	if err := os.WriteFile(certPath, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := load(autoPublic(), dir, nil, testEnv(t0))
	if err == nil || !strings.Contains(err.Error(), certPath) || !strings.Contains(err.Error(), "not PEM") || !strings.Contains(err.Error(), "delete") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadUsesTheHost(t *testing.T) {
	m, err := Load(autoPublic(), t.TempDir(), nil)
	if err != nil || m == nil {
		t.Fatalf("Load: %v, %v", m, err)
	}
	host, _ := os.Hostname()
	if cn := m.cert.Leaf.Subject.CommonName; host != "" && cn != "meshhold "+host {
		t.Errorf("CN %q", cn)
	}
}
