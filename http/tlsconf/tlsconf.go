// Package tlsconf provides the API's TLS material: the pair named by api.cert_file and
// api.key_file, or a self-signed pair generated on first start in <metadata>/tls/ and reused
// afterwards, so that clients can pin its fingerprint.
package tlsconf

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/p2p/localaddr"
)

// Folder and file names of the self-signed pair, under the metadata folder.
const (
	Dir      = "tls"
	CertName = "cert.pem"
	KeyName  = "key.pem"
)

// Validity is how long a generated certificate is valid.
const Validity = 10 * 365 * 24 * time.Hour

// env is what Load takes from the machine; tests replace it.
type env struct {
	now      time.Time
	hostname func() (string, error)
	ifaceIPs func() []net.IP
}

func hostEnv() env {
	return env{now: time.Now(), hostname: os.Hostname, ifaceIPs: interfaceIPs}
}

// Load returns the API's TLS material, or nil when the API serves plain HTTP (cfg.UseTLS).
// With api.cert_file/api.key_file it loads them; otherwise it uses the self-signed pair in
// <metadataDir>/tls/, generating it when missing or expired.
func Load(cfg api.Config, metadataDir string, log *slog.Logger) (*Material, error) {
	return load(cfg, metadataDir, log, hostEnv())
}

func load(cfg api.Config, metadataDir string, log *slog.Logger, e env) (*Material, error) {
	if !cfg.UseTLS() {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		if cfg.CertFile == "" || cfg.KeyFile == "" {
			return nil, errors.New("api.cert_file: cert_file and key_file must be set together")
		}
		return loadFiles(cfg.CertFile, cfg.KeyFile, log, e.now)
	}
	if metadataDir == "" {
		return nil, errors.New("tlsconf: no metadata folder to keep the self-signed pair in")
	}
	return loadSelfSigned(metadataDir, cfg.EffectiveBind(), log, e)
}

// interfaceIPs lists the host's interface addresses for the certificate's names.
func interfaceIPs() []net.IP {
	var out []net.IP
	for _, a := range localaddr.InterfaceIPs() {
		out = append(out, net.IP(a.AsSlice()))
	}
	return out
}
