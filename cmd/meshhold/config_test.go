package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad config keys and values stop the daemon with an error naming the key and the reason.
func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"api:\n  bnd: 1.2.3.4:80\n", `api.bnd (line 2): unknown key (did you mean "bind"?)`},
		{"nodes:\n  name: x\n", `nodes (line 1): unknown key (did you mean "node"?)`},
		{"node:\n  reliable: maybe\n", `node.reliable (line 2): want true or false, got "maybe"`},
		{"api:\n  auth:\n    login_window: 5x\n", `api.auth.login_window (line 3): invalid duration "5x"`},
		{"api:\n  auth:\n    login_max_attempts: lots\n", `api.auth.login_max_attempts (line 3): want a whole number`},
		{"swarm_key: nonsense\n", `swarm_key:`},
		{"bootstrap_peers: /ip4/1.2.3.4/tcp/1\n", `bootstrap_peers (line 1): want a list`},
		{"bootstrap_peers: [/ip4/1.2.3.4/tcp/1]\n", `bootstrap_peers[0]: "/ip4/1.2.3.4/tcp/1" is not a multiaddr ending in /p2p/<peer id>`},
		{"node:\n  listen_addrs: [tcp:7777]\n", `node.listen_addrs[0]: "tcp:7777" is not a multiaddr`},
		{"api:\n  bind: localhost\n", `api.bind`},
		{"events:\n  log_max: -3\n", `events.log_max (line 2): want a whole number ≥ 0, got -3`},
		{"vaults:\n  - id: a\n    name: x\n    hard_quota: 12 bananas\n", `vaults[0].hard_quota (line 4): invalid size "12 bananas"`},
		{"vaults:\n  - id: a\n    name: x\n  - id: a\n    name: y\n", `vaults[1].id: "a" is declared twice`},
		{"webhooks:\n  - token: short\n    room_id: r\n", `webhooks[0].token: must be at least 16 characters`},
		{"log:\n  level: loud\n", `log.level: "loud" is not debug, info, warn or error`},
		{"api:\n  bind: a\n  bind: b\n", `[3:3] mapping key "bind" already defined`},
		{"- 1\n- 2\n", `(top level)`},
	} {
		_, err := parseConfig(filepath.Join(t.TempDir(), "config.yaml"), []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %q:\n  got  %v\n  want …%s…", c.yaml, err, c.want)
		}
	}
}

// A byte order mark (some editors write one) is not part of the first key.
func TestConfigWithBOMLoads(t *testing.T) {
	c, err := parseConfig(filepath.Join(t.TempDir(), "config.yaml"), []byte("\xef\xbb\xbfnode:\n  name: bom\n"))
	if err != nil || c.Node.Name != "bom" {
		t.Fatalf("%v %q", err, c.Node.Name)
	}
}

// The commented template written at first start decodes to the defaults.
func TestDefaultTemplateDecodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	c, err := parseConfig(path, defaultConfigYAML)
	if err != nil {
		t.Fatal(err)
	}
	d := defaultConfig(path)
	if err := d.finish(); err != nil {
		t.Fatal(err)
	}
	if c.API.EffectiveBind() != "127.0.0.1:8080" || c.Node.DataDir != d.Node.DataDir || c.Node.MetadataDir != d.Node.MetadataDir ||
		!c.AtRest.Enabled || c.Events.LogMax != d.Events.LogMax || c.SwarmKey.IsSet() || !c.Node.Reliable {
		t.Fatalf("template decodes to %+v, want the defaults %+v", c, d)
	}
}

// Relative folders are relative to the config file, and ~ is the home folder.
func TestPathsResolve(t *testing.T) {
	dir := t.TempDir()
	home, _ := os.UserHomeDir()
	c, err := parseConfig(filepath.Join(dir, "config.yaml"), []byte("node:\n  data_dir: blocks\n  metadata_dir: ~/mh\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Node.DataDir != filepath.Join(dir, "blocks") || c.Node.MetadataDir != filepath.Join(home, "mh") {
		t.Fatalf("data_dir %s, metadata_dir %s", c.Node.DataDir, c.Node.MetadataDir)
	}
}

// A relative -c path gives folders relative to the file, once.
func TestRelativeConfigPath(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := parseConfig(filepath.Join("h", "n", "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.Node.MetadataDir != filepath.Join(wd, "h", "n") || c.Node.DataDir != filepath.Join(wd, "h", "n", "data") {
		t.Fatalf("metadata_dir %s, data_dir %s", c.Node.MetadataDir, c.Node.DataDir)
	}
}
