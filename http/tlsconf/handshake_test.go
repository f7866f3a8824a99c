package tlsconf

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// serve starts an HTTPS server on a loopback port with m and returns its URL.
func serve(t *testing.T, m *Material) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", m.Config())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over "+tls.VersionName(r.TLS.Version))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String() + "/"
}

func get(t *testing.T, url string, cfg *tls.Config) (string, error) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestHandshakeWithPinnedFingerprint(t *testing.T) {
	m := mustLoad(t, autoPublic(), t.TempDir(), nil, testEnv(t0))
	url := serve(t, m)

	// What a freshly paired client does: compare the SHA-256 of the raw leaf with the pin.
	want := strings.ReplaceAll(m.Fingerprint(), ":", "")
	pinned := &tls.Config{
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			sum := sha256.Sum256(raw[0])
			if hex.EncodeToString(sum[:]) != want {
				return errors.New("fingerprint mismatch")
			}
			return nil
		},
	}
	body, err := get(t, url, pinned)
	if err != nil || !strings.HasPrefix(body, "hello over TLS 1.") {
		t.Fatalf("pinned GET: %q, %v", body, err)
	}

	if _, err := get(t, url, PinnedClientConfig(strings.ToUpper(m.Fingerprint()))); err != nil {
		t.Errorf("PinnedClientConfig with the right pin: %v", err)
	}
	wrong := "00" + m.Fingerprint()[2:]
	if _, err := get(t, url, PinnedClientConfig(wrong)); err == nil || !strings.Contains(err.Error(), "not the pinned") {
		t.Errorf("PinnedClientConfig with a wrong pin: %v", err)
	}
	if _, err := get(t, url, &tls.Config{}); err == nil {
		t.Error("a client with system roots accepted the self-signed certificate")
	}

	// cert.pem also works as a trust anchor for its SANs (curl --cacert cert.pem https://localhost:…).
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(m.CertPEM())
	if _, err := get(t, url, &tls.Config{RootCAs: roots, ServerName: "localhost"}); err != nil {
		t.Errorf("cert.pem as root for localhost: %v", err)
	}
}

func TestServerRefusesOldTLS(t *testing.T) {
	m := mustLoad(t, autoPublic(), t.TempDir(), nil, testEnv(t0))
	url := serve(t, m)
	cfg := PinnedClientConfig(m.Fingerprint())
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := get(t, url, cfg); err == nil {
		t.Error("TLS 1.1 handshake succeeded")
	}
}

func TestFingerprintFormat(t *testing.T) {
	got := Fingerprint([]byte("abc"))
	want := "ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:10:ff:61:f2:00:15:ad"
	if got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}
