package tlsconf

import (
	"log/slog"
	"time"
)

// loadFiles loads the pair named by api.cert_file and api.key_file. An expired or not yet
// valid certificate is served anyway, with a warning: clients will say so too.
func loadFiles(certPath, keyPath string, log *slog.Logger, now time.Time) (*Material, error) {
	cs := source{name: "api.cert_file", path: certPath}
	ks := source{name: "api.key_file", path: keyPath}
	certPEM, err := cs.read()
	if err != nil {
		return nil, err
	}
	keyPEM, err := ks.read()
	if err != nil {
		return nil, err
	}
	cert, err := parsePair(cs, ks, certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	m := newMaterial(cert, certPath, false)
	switch leaf := cert.Leaf; {
	case now.After(leaf.NotAfter):
		log.Warn("api.cert_file has expired; clients will refuse it", "cert_file", certPath, "not_after", leaf.NotAfter)
	case now.Before(leaf.NotBefore):
		log.Warn("api.cert_file is not valid yet; clients will refuse it", "cert_file", certPath, "not_before", leaf.NotBefore)
	}
	log.Info("serving the API over TLS", "cert_file", certPath, "fingerprint", m.Fingerprint(), "not_after", cert.Leaf.NotAfter)
	return m, nil
}
