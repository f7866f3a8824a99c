package tlsconf

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// source names a file in errors: the config key (api.cert_file) or a description, and its path.
type source struct {
	name string
	path string
}

func (s source) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s: "+format, append([]any{s.name, s.path}, args...)...)
}

// read returns the file's bytes, with an error saying what is wrong with it.
func (s source) read() ([]byte, error) {
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, quiet{fmt.Sprintf("%s: %s does not exist", s.name, s.path), err}
	case errors.Is(err, fs.ErrPermission):
		return nil, quiet{fmt.Sprintf("%s: %s is not readable by this user", s.name, s.path), err}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return b, nil
}

// quiet is an error whose message replaces that of the error it wraps.
type quiet struct {
	msg string
	err error
}

func (q quiet) Error() string { return q.msg }
func (q quiet) Unwrap() error { return q.err }

// parsePair parses a PEM certificate chain and its private key, checking they match.
func parsePair(cs, ks source, certPEM, keyPEM []byte) (tls.Certificate, error) {
	chain, err := parseChain(cs, certPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := parseKey(ks, keyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, cs.errorf("the first certificate does not parse: %w", err)
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return tls.Certificate{}, ks.errorf("the private key does not match the certificate in %s (%s)", cs.name, cs.path)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// parseChain returns the DER of every CERTIFICATE block, leaf first.
func parseChain(s source, data []byte) ([][]byte, error) {
	var chain [][]byte
	var other []string
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			other = append(other, b.Type)
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, s.errorf("certificate %d does not parse: %w", len(chain)+1, err)
		}
		chain = append(chain, b.Bytes)
	}
	switch {
	case len(chain) > 0:
		return chain, nil
	case hasKeyBlock(other):
		return nil, s.errorf("holds a private key but no certificate; are cert_file and key_file swapped?")
	case len(other) > 0:
		return nil, s.errorf("has no CERTIFICATE block, only %s", strings.Join(other, ", "))
	case len(data) > 0 && data[0] == 0x30:
		return nil, s.errorf("is not PEM (it looks like DER: convert it with openssl x509 -inform der -in %s -out cert.pem)", s.path)
	}
	return nil, s.errorf("is not PEM: no -----BEGIN CERTIFICATE----- block")
}

// parseKey returns the first private key block's key: PKCS #8, PKCS #1 (RSA) or SEC 1 (EC).
func parseKey(s source, data []byte) (crypto.Signer, error) {
	var other []string
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			other = append(other, b.Type)
			continue
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, s.errorf("the private key is encrypted; store it unencrypted (openssl pkey -in %s -out <new file>) at mode 0600", s.path)
		}
		key, err := parseKeyDER(b.Bytes)
		if err != nil {
			return nil, s.errorf("the %s block does not parse: %w", b.Type, err)
		}
		return key, nil
	}
	switch {
	case len(other) > 0 && other[0] == "CERTIFICATE":
		return nil, s.errorf("holds a certificate but no private key; are cert_file and key_file swapped?")
	case len(other) > 0:
		return nil, s.errorf("has no PRIVATE KEY block, only %s", strings.Join(other, ", "))
	}
	return nil, s.errorf("is not PEM: no -----BEGIN PRIVATE KEY----- block")
}

func parseKeyDER(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if signer, ok := k.(crypto.Signer); ok {
			return signer, nil
		}
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS #8, PKCS #1 or EC private key")
}

func hasKeyBlock(types []string) bool {
	for _, t := range types {
		if strings.HasSuffix(t, "PRIVATE KEY") {
			return true
		}
	}
	return false
}
