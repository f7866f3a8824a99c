package tlsconf

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Material is the API's certificate chain and key, ready to serve.
type Material struct {
	cert        tls.Certificate
	certPEM     []byte
	certFile    string
	selfSigned  bool
	fingerprint string
}

func newMaterial(cert tls.Certificate, certFile string, selfSigned bool) *Material {
	var buf bytes.Buffer
	for _, der := range cert.Certificate {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	return &Material{
		cert:        cert,
		certPEM:     buf.Bytes(),
		certFile:    certFile,
		selfSigned:  selfSigned,
		fingerprint: Fingerprint(cert.Certificate[0]),
	}
}

// Config returns a new server tls.Config (TLS 1.2 or later) serving the certificate; set it as
// http.Server.TLSConfig and call ServeTLS(ln, "", "").
func (m *Material) Config() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{m.cert},
	}
}

// Fingerprint is the SHA-256 of the leaf certificate, as browsers show it: "ab:cd:…".
func (m *Material) Fingerprint() string { return m.fingerprint }

// CertPEM returns the certificate chain, PEM-encoded, leaf first (no key).
func (m *Material) CertPEM() []byte { return bytes.Clone(m.certPEM) }

// SelfSigned reports whether the pair is MeshHold's own, generated in <metadata>/tls/.
func (m *Material) SelfSigned() bool { return m.selfSigned }

// CertFile is the path of the certificate file: api.cert_file or <metadata>/tls/cert.pem.
func (m *Material) CertFile() string { return m.certFile }

// Fingerprint returns the SHA-256 of a DER certificate as lowercase hex pairs joined by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:])
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// PinnedClientConfig returns a client tls.Config that accepts exactly the server certificate
// with this fingerprint (any case, colons optional) and skips the usual chain and name checks.
func PinnedClientConfig(fingerprint string) *tls.Config {
	want := normalize(fingerprint)
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below, run on every connection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tlsconf: server sent no certificate")
			}
			got := Fingerprint(cs.PeerCertificates[0].Raw)
			if normalize(got) != want {
				return fmt.Errorf("tlsconf: server certificate %s is not the pinned %s", got, fingerprint)
			}
			return nil
		},
	}
}

func normalize(fp string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(fp)))
}
