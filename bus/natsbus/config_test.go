package natsbus_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/bus/natsbus"
)

const goodToken = "0123456789abcdef-token"

func TestConfigValidate(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "leaf.creds")
	if err := os.WriteFile(creds, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cfg     natsbus.Config
		wantErr string // prefix; "" means valid
	}{
		{"zero", natsbus.Config{}, ""},
		{"inprocess", natsbus.Config{Conn: natsbus.ConnInProcess}, ""},
		{"bad conn", natsbus.Config{Conn: "tcp"}, "bus.conn:"},
		{"public listen with token", natsbus.Config{Listen: "0.0.0.0:4222", Token: goodToken}, ""},
		{"public listen without token", natsbus.Config{Listen: "0.0.0.0:4222"}, "bus.token: required"},
		{"any-interface listen without token", natsbus.Config{Listen: ":4222"}, "bus.token: required"},
		{"loopback listen without token", natsbus.Config{Listen: "127.0.0.1:4222"}, ""},
		{"localhost listen without token", natsbus.Config{Listen: "localhost:0"}, ""},
		{"ipv6 loopback without token", natsbus.Config{Listen: "[::1]:4222"}, ""},
		{"short token", natsbus.Config{Listen: "0.0.0.0:4222", Token: "short"}, "bus.token: shorter"},
		{"no port", natsbus.Config{Listen: "0.0.0.0"}, "bus.listen:"},
		{"bad port", natsbus.Config{Listen: "0.0.0.0:99999", Token: goodToken}, "bus.listen: port"},
		{"hostname", natsbus.Config{Listen: "example.com:4222", Token: goodToken}, "bus.listen: host"},
		{"leaf ok", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422"}}}, ""},
		{"leaf tls with token", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "tls://hub:7422", Token: "t"}}}, ""},
		{"leaf creds", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422", Credentials: creds}}}, ""},
		{"leaf no url", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422"}, {}}}, "bus.leaf_remotes[1].url: required"},
		{"leaf bad scheme", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "http://hub:7422"}}}, "bus.leaf_remotes[0].url: scheme"},
		{"leaf no host", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://:7422"}}}, "bus.leaf_remotes[0].url: no host"},
		{"leaf userinfo", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://secret@hub:7422"}}}, "bus.leaf_remotes[0].url: put credentials"},
		{"leaf both", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422", Credentials: creds, Token: "t"}}}, "bus.leaf_remotes[0].token:"},
		{"leaf missing creds", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422", Credentials: creds + ".missing"}}}, "bus.leaf_remotes[0].credentials:"},
		{"leaf creds is dir", natsbus.Config{LeafRemotes: []natsbus.LeafRemote{{URL: "nats://hub:7422", Credentials: t.TempDir()}}}, "bus.leaf_remotes[0].credentials:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Defaults()
			err := c.cfg.Validate()
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", c.wantErr)
			case c.wantErr != "" && !strings.HasPrefix(err.Error(), c.wantErr):
				t.Fatalf("error %q, want prefix %q", err, c.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a credential: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	var c natsbus.Config
	c.Defaults()
	if c.Conn != natsbus.DefaultConn || natsbus.DefaultConn != natsbus.ConnLoopback {
		t.Errorf("Conn = %q", c.Conn)
	}
	c = natsbus.Config{Conn: natsbus.ConnInProcess}
	c.Defaults()
	if c.Conn != natsbus.ConnInProcess {
		t.Errorf("Defaults overrode Conn: %q", c.Conn)
	}
}

func TestStartRejectsInvalidConfig(t *testing.T) {
	_, err := natsbus.Start(natsbus.Config{Listen: "0.0.0.0:0"}, nil)
	if err == nil || !strings.Contains(err.Error(), "bus.token") {
		t.Fatalf("Start: %v", err)
	}
}

func TestStartReportsListenError(t *testing.T) {
	b := startBus(t, natsbus.Config{Listen: "127.0.0.1:0"})
	addr := strings.TrimPrefix(b.ClientURL(), "nats://")
	_, err := natsbus.Start(natsbus.Config{Listen: addr}, nil)
	if err == nil || !strings.Contains(err.Error(), "natsbus: start server") {
		t.Fatalf("Start on a used port: %v", err)
	}
}
