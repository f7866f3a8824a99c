package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/profile"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// The JSON conventions hold on the real binary: /version, unknown routes, wrong methods.
func TestDaemonServesConventions(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	resp, body := p.call("GET", "/version", nil)
	if resp.StatusCode != 200 || body["version"] != version || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /version: %d %v", resp.StatusCode, body)
	}
	resp, body = p.call("GET", "/no/such/thing", nil)
	if resp.StatusCode != 404 || body["error"] != "no such route" {
		t.Fatalf("unknown route: %d %v", resp.StatusCode, body)
	}
	resp, body = p.call("DELETE", "/version", nil)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, OPTIONS" || body["error"] == nil {
		t.Fatalf("wrong method: %d Allow=%q %v", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	p.stop()
}

// A config with a bad key stops the daemon at start, naming the key.
func TestDaemonRefusesInvalidConfig(t *testing.T) {
	for _, c := range []struct{ extra, want string }{
		{"bus:\n  lissen: x\n", "bus.lissen (line 8): unknown key"},
		{"events:\n  log_max: many\n", "events.log_max (line 8): want a whole number"},
		{"swarm_key: |\n  /key/swarm/psk/1.0.0/\n  /base16/\n  abcd\n", "swarm_key:"},
	} {
		p := launch(t, testConfig(t, t.TempDir(), c.extra))
		if code := p.wait(20 * time.Second); code == 0 || !strings.Contains(p.output(), c.want) {
			t.Errorf("config %q: exit %d, want a failure naming %q:\n%s", c.extra, code, c.want, p.output())
		}
	}
}

// A second daemon on the same metadata folder fails fast with "already running".
func TestSecondDaemonIsRefused(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	first := start(t, cfg)
	second := launch(t, cfg)
	if code := second.wait(20 * time.Second); code == 0 || !strings.Contains(second.output(), "already running") {
		t.Fatalf("second daemon: exit %d:\n%s", code, second.output())
	}
	if resp, _ := first.call("GET", "/version", nil); resp.StatusCode != 200 {
		t.Fatalf("the first daemon suffered: %d", resp.StatusCode)
	}
	first.setPassword("still the first daemon's") // its admin token file survived the refusal
	for _, f := range []string{runFile, bootstrapSock} {
		if _, err := os.Stat(filepath.Join(first.dir, f)); err != nil {
			t.Fatalf("the refused daemon removed the first one's %s: %v", f, err)
		}
	}
	first.stop()
}

// What config.yaml declares wins at the next start: a hand edit takes effect.
func TestHandEditWinsAtNextStart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	p := start(t, cfg)
	peer := peerLine(p)
	p.stop()
	src, _ := os.ReadFile(cfg)
	edited := strings.Replace(string(src), "name: alpha", "name: beta # renamed by hand", 1)
	if err := os.WriteFile(cfg, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	p = start(t, cfg)
	if got := peerLine(p); got != strings.Replace(peer, "alpha", "beta", 1) {
		t.Fatalf("after the edit the node says %q (before: %q)", got, peer)
	}
	p.stop()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var info storev1.NodeInfo
	_ = persist.ReadWith(store, func(v persist.View) error {
		b, _ := v.Get(persist.Meta, profile.InfoKey)
		return proto.Unmarshal(b, &info)
	})
	if info.GetName() != "beta" {
		t.Fatalf("stored node name %q, want beta", info.GetName())
	}
}

// First start without a config creates it (mode 0600) and a master key file (mode 0600),
// and the node keeps its peer id across restarts.
func TestFirstStartCreatesConfigAndKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sub", "config.yaml")
	p := launch(t, cfg, "--log-level", "warn")
	// The template binds 127.0.0.1:8080, which a test cannot rely on: only check what start wrote.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "sub", "master.key")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no master.key:\n%s", p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	for _, f := range []string{"config.yaml", "master.key"} {
		fi, err := os.Stat(filepath.Join(dir, "sub", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", f, err, fi.Mode())
		}
	}
	if _, err := parseConfig(cfg, mustRead(t, cfg)); err != nil {
		t.Fatalf("the created config does not load: %v", err)
	}
	cfg2 := testConfig(t, dir, "")
	first := start(t, cfg2)
	id := peerLine(first)
	first.stop()
	again := start(t, cfg2)
	if peerLine(again) != id {
		t.Fatalf("peer id changed across a restart: %q then %q", id, peerLine(again))
	}
	again.stop()
}

func peerLine(p *proc) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range strings.Split(p.stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Node:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
