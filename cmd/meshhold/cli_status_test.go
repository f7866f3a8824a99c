package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// status needs no credentials and finds the daemon through daemon.json.
func TestCLIStatus(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	home := t.TempDir()
	p := start(t, cfg)
	r := runCLI(t, home, "", nil, "status", "-c", cfg).ok(t, "status")
	for _, want := range []string{"MeshHold " + version + " at " + p.api, "Node:      alpha", "Peer ID:   12D3KooW",
		"Mode:      limited", "Password:  not set", "TLS:       off", "At rest:   sealed, provider file", "Uptime:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	runCLI(t, home, "status-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password")
	r = runCLI(t, home, "", nil, "status", "-c", cfg, "--json").ok(t, "status --json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st["node_name"] != "alpha" || st["password_set"] != true {
		t.Fatalf("status --json: %v %q", err, r.stdout)
	}
	p.stop()
}

// --api at a closed port says the daemon is not running there and how to start it.
func TestCLINotRunning(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(t.TempDir(), "absent", "config.yaml")
	r := runCLI(t, t.TempDir(), "", nil, "status", "-c", cfg, "--api", "http://"+addr)
	want := "the daemon is not running at http://" + addr + "/api/v1"
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "meshhold daemon -c "+cfg) {
		t.Fatalf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Fatal("a client command created the config file")
	}
}
