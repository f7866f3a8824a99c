package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshhold/meshhold/http/tlsconf"
)

// clientTLS pins the local daemon's certificate (api.cert_file, else the self-signed
// <metadata_dir>/tls/cert.pem) by its SHA-256; a server showing another certificate must pass
// the usual verification against the system's roots.
func clientTLS(cfg Config) *tls.Config {
	file := apiCertFile(cfg)
	pin, err := leafFingerprint(file)
	if err != nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection: the pin, else the system roots
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			leaf := cs.PeerCertificates[0]
			if tlsconf.Fingerprint(leaf.Raw) == pin {
				return nil
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: cs.ServerName, Intermediates: inter}); err != nil {
				return fmt.Errorf("the server's certificate (SHA-256 %s) is neither the local daemon's %s nor trusted by the system: %w", tlsconf.Fingerprint(leaf.Raw), file, err)
			}
			return nil
		},
	}
}

// apiCertFile is the API's certificate: api.cert_file, else the self-signed pair's.
func apiCertFile(cfg Config) string {
	if cfg.API.CertFile != "" {
		return cfg.API.CertFile
	}
	return filepath.Join(cfg.Node.MetadataDir, tlsconf.Dir, tlsconf.CertName)
}

// leafFingerprint is the SHA-256 of the first certificate in a PEM file.
func leafFingerprint(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return "", fmt.Errorf("%s: no certificate", file)
		}
		if block.Type == "CERTIFICATE" {
			return tlsconf.Fingerprint(block.Bytes), nil
		}
	}
}
