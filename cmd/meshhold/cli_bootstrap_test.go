package main

import (
	"strings"
	"testing"
)

// A ticket from bootstrap-ticket is exchanged once for a working bearer; a second time is 401.
func TestCLIBootstrapTicket(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	home := t.TempDir()
	p := start(t, cfg)
	r := runCLI(t, home, "", nil, "bootstrap-ticket", "-c", cfg).ok(t, "bootstrap-ticket")
	ticket := strings.TrimSpace(r.stdout)
	if ticket == "" || !strings.Contains(r.stderr, "?bootstrap="+ticket) || !strings.Contains(r.stderr, p.api+"/auth/bootstrap-exchange") {
		t.Fatalf("bootstrap-ticket: stdout %q stderr %q", r.stdout, r.stderr)
	}
	code, body := cliPost(p, "/auth/bootstrap-exchange", map[string]string{"ticket": ticket}, "")
	if code != 200 {
		t.Fatalf("exchange: %d %v", code, body)
	}
	if cliWhoami(p, body["token"].(string)) != 200 {
		t.Fatal("the exchanged bearer is refused")
	}
	if code, body := cliPost(p, "/auth/bootstrap-exchange", map[string]string{"ticket": ticket}, ""); code != 401 {
		t.Fatalf("second exchange: %d %v", code, body)
	}
	p.stop()
	r = runCLI(t, home, "", nil, "bootstrap-ticket", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, "not running") {
		t.Fatalf("with the daemon stopped: exit %d %q", r.code, r.stderr)
	}
}
