package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// set-password with the daemon stopped writes the store; the next start logs in with it.
func TestCLISetPasswordDaemonStopped(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	r := runCLI(t, t.TempDir(), "offline-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password")
	if !strings.Contains(r.stdout, "password set; every session and API token was revoked") {
		t.Fatalf("set-password said %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, runFile)); err == nil {
		t.Fatalf("%s exists although no daemon runs", runFile)
	}
	p := start(t, cfg)
	if tok := cliLogin(t, p, "offline-password"); cliWhoami(p, tok) != 200 {
		t.Fatal("the session of the offline password is refused")
	}
	p.stop()
}

// set-password with the daemon running goes through the admin token and revokes old sessions.
func TestCLISetPasswordDaemonRunning(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	home := t.TempDir()
	p := start(t, cfg)
	runCLI(t, home, "first-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "first set-password")
	old := cliLogin(t, p, "first-password")
	if cliWhoami(p, old) != 200 {
		t.Fatal("the first session is refused")
	}
	runCLI(t, home, "second-password\r\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "second set-password")
	if code := cliWhoami(p, old); code != 401 {
		t.Fatalf("a session from before the change: %d, want 401", code)
	}
	if code, _ := cliPost(p, "/auth/login", map[string]string{"password": "first-password"}, ""); code != 401 {
		t.Fatalf("login with the old password: %d", code)
	}
	if cliWhoami(p, cliLogin(t, p, "second-password")) != 200 {
		t.Fatal("the new password's session is refused")
	}
	p.stop()
}

// A too-short password, or a prompt without a terminal, changes nothing and exits 1.
func TestCLISetPasswordRefusals(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	home := t.TempDir()
	if r := runCLI(t, home, "short\n", nil, "set-password", "-c", cfg, "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "at least 8 characters") {
		t.Fatalf("short password: exit %d %q", r.code, r.stderr)
	}
	if r := runCLI(t, home, "long-enough\n", nil, "set-password", "-c", cfg); r.code != 1 || !strings.Contains(r.stderr, "--password-stdin") {
		t.Fatalf("no terminal: exit %d %q", r.code, r.stderr)
	}
}
