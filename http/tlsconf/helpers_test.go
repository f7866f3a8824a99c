package tlsconf

import (
	"bytes"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testEnv is a machine called testhost with one LAN address, at time now.
func testEnv(now time.Time) env {
	return env{
		now:      now,
		hostname: func() (string, error) { return "TestHost", nil },
		ifaceIPs: func() []net.IP {
			return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("192.0.2.10"), net.ParseIP("2001:db8::10"), net.ParseIP("::1")}
		},
	}
}

// autoPublic is the default api config on a non-loopback bind: self-signed TLS.
func autoPublic() api.Config {
	c := api.Defaults()
	c.Bind = "0.0.0.0:8443"
	return c
}

// logBuf returns a logger writing text records into the returned buffer.
func logBuf() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func mustLoad(t *testing.T, cfg api.Config, dir string, log *slog.Logger, e env) *Material {
	t.Helper()
	m, err := load(cfg, dir, log, e)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatal("got plain HTTP, want TLS material")
	}
	return m
}
