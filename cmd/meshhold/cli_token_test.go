package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// token create --save (logged in through $MESHHOLD_PASSWORD), ls with the saved token, revoke.
func TestCLITokenLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	home := t.TempDir()
	p := start(t, cfg)
	runCLI(t, home, "token-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password")
	pwEnv := []string{envPassword + "=token-password"}
	r := runCLI(t, home, "", pwEnv, "token", "create", "ci", "--save", "-c", cfg).ok(t, "token create")
	tok := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(tok, "mht_") || !strings.Contains(r.stderr, "shown once") {
		t.Fatalf("token create: stdout %q stderr %q", r.stdout, r.stderr)
	}
	saved := filepath.Join(dir, savedTokenFile)
	if b, err := os.ReadFile(saved); err != nil || strings.TrimSpace(string(b)) != tok {
		t.Fatalf("saved token: %v %q", err, b)
	}
	if fi, _ := os.Stat(saved); fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v", saved, fi.Mode().Perm())
	}
	if cliWhoami(p, tok) != 200 {
		t.Fatal("the new token is refused")
	}
	r = runCLI(t, home, "", nil, "token", "ls", "-c", cfg).ok(t, "token ls")
	if !strings.HasPrefix(r.stdout, "ID") || !strings.Contains(r.stdout, "LAST USED") || !strings.Contains(r.stdout, " ci ") {
		t.Fatalf("token ls:\n%s", r.stdout)
	}
	r = runCLI(t, home, "", []string{envToken + "=" + tok}, "token", "ls", "--json", "-c", cfg).ok(t, "token ls --json")
	var list struct {
		Tokens []struct{ ID, Name string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Tokens) != 1 || list.Tokens[0].Name != "ci" {
		t.Fatalf("token ls --json: %v %q", err, r.stdout)
	}
	id := list.Tokens[0].ID
	r = runCLI(t, home, "", nil, "token", "revoke", id, "-c", cfg).ok(t, "token revoke")
	if !strings.Contains(r.stdout, id) {
		t.Fatalf("token revoke said %q", r.stdout)
	}
	if cliWhoami(p, tok) != 401 {
		t.Fatal("a revoked token still works")
	}
	r = runCLI(t, home, "", nil, "token", "ls", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "HTTP 401") || !strings.Contains(r.stderr, saved) {
		t.Fatalf("token ls with the revoked saved token: exit %d %q", r.code, r.stderr)
	}
	p.stop()
}

// A wrong password prints the daemon's 401 message and exits 1.
func TestCLIWrongPassword(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	home := t.TempDir()
	p := start(t, cfg)
	runCLI(t, home, "right-password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password")
	r := runCLI(t, home, "", nil, "token", "ls", "-c", cfg, "--password", "wrong-password")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong password") || !strings.Contains(r.stderr, "HTTP 401") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, home, "", nil, "token", "ls", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "no credentials") {
		t.Fatalf("no credentials: exit %d, stderr %q", r.code, r.stderr)
	}
	p.stop()
}
