package tlsconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/meshhold/meshhold/http/api"
)

func TestPlainHTTP(t *testing.T) {
	for name, cfg := range map[string]api.Config{
		"loopback v4":   {Bind: "127.0.0.1:8080", TLS: api.TLSAuto},
		"loopback v6":   {Bind: "[::1]:8080", TLS: api.TLSAuto},
		"localhost":     {Bind: "localhost:8080", TLS: api.TLSAuto},
		"default bind":  {TLS: api.TLSAuto},
		"off on public": {Bind: "0.0.0.0:8080", TLS: api.TLSOff},
	} {
		dir := t.TempDir()
		m, err := load(cfg, dir, nil, testEnv(t0))
		if m != nil || err != nil {
			t.Errorf("%s: got %v, %v; want plain HTTP", name, m, err)
		}
		if _, err := os.Stat(filepath.Join(dir, Dir)); !os.IsNotExist(err) {
			t.Errorf("%s: created %s", name, Dir)
		}
	}
}

func TestTLSOnLoopback(t *testing.T) {
	m := mustLoad(t, api.Config{Bind: "127.0.0.1:8080", TLS: api.TLSOn}, t.TempDir(), nil, testEnv(t0))
	if !m.SelfSigned() {
		t.Error("want the self-signed pair")
	}
	if _, err := load(api.Config{TLS: api.TLSOn}, "", nil, testEnv(t0)); err == nil {
		t.Error("no metadata folder: want an error")
	}
}
