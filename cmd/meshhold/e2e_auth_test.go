package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The first thing a user does: first boot → login is 503 → set a password with the admin
// token → log in → an authenticated call → log out → the bearer is refused.
func TestFirstBootLoginLogout(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	resp, body := p.send("POST", "/auth/login", map[string]string{"password": "hunter2hunter2"})
	if resp.StatusCode != 503 || !strings.Contains(body["error"].(string), "no password is set") {
		t.Fatalf("login before any password: %d %v", resp.StatusCode, body)
	}
	if resp, _ := p.send("POST", "/auth/admin/set-password", map[string]string{"password": "hunter2hunter2"}, "X-MeshHold-Admin-Token", "wrong"); resp.StatusCode != 401 {
		t.Fatalf("set-password with a wrong admin token: %d", resp.StatusCode)
	}
	if resp, body := p.send("POST", "/auth/admin/set-password", map[string]string{"password": "short"}, "X-MeshHold-Admin-Token", p.adminToken()); resp.StatusCode != 400 {
		t.Fatalf("a 5-character password: %d %v", resp.StatusCode, body)
	}
	p.setPassword("hunter2hunter2")
	tok := p.login("hunter2hunter2")
	if !strings.HasPrefix(tok, "mhs_") {
		t.Fatalf("session token %q", tok)
	}
	resp, body = p.call("GET", "/whoami", nil, bearer(tok)...)
	if resp.StatusCode != 200 || !strings.HasPrefix(body["node_id"].(string), "12D3KooW") || body["name"] != "alpha" {
		t.Fatalf("whoami: %d %v", resp.StatusCode, body)
	}
	if resp, _ := p.call("GET", "/whoami", nil); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("whoami without a bearer: %d", resp.StatusCode)
	}
	if resp, _ := p.call("POST", "/auth/logout", nil, bearer(tok)...); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := p.call("GET", "/whoami", nil, bearer(tok)...); resp.StatusCode != 401 {
		t.Fatalf("whoami after logout: %d", resp.StatusCode)
	}
	if resp, _ := p.call("POST", "/auth/logout", nil, bearer(tok)...); resp.StatusCode != 204 {
		t.Fatalf("a second logout: %d", resp.StatusCode)
	}
	if resp, body := p.call("POST", "/auth/login", strings.NewReader("password=x"), "Content-Type", "application/x-www-form-urlencoded"); resp.StatusCode != 415 {
		t.Fatalf("a form-encoded login: %d %v", resp.StatusCode, body)
	}
	if resp, body := p.send("POST", "/auth/login", map[string]string{}); resp.StatusCode != 400 || !strings.Contains(body["error"].(string), "password") {
		t.Fatalf("login without a password field: %d %v", resp.StatusCode, body)
	}
	p.stop()
}

// A password change revokes every bearer: sessions and API tokens.
func TestPasswordChangeRevokesEveryBearer(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("first password")
	session := p.login("first password")
	resp, body := p.send("POST", "/auth/tokens", map[string]string{"name": "backup"}, bearer(session)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create token: %d %v", resp.StatusCode, body)
	}
	apiToken := body["token"].(string)
	for _, tok := range []string{session, apiToken} {
		if resp, _ := p.call("GET", "/whoami", nil, bearer(tok)...); resp.StatusCode != 200 {
			t.Fatalf("before the change %s…: %d", tok[:4], resp.StatusCode)
		}
	}
	p.setPassword("second password")
	for _, tok := range []string{session, apiToken} {
		if resp, _ := p.call("GET", "/whoami", nil, bearer(tok)...); resp.StatusCode != 401 {
			t.Fatalf("after the change %s…: %d", tok[:4], resp.StatusCode)
		}
	}
	if resp, _ := p.send("POST", "/auth/login", map[string]string{"password": "first password"}); resp.StatusCode != 401 {
		t.Fatalf("the old password still logs in: %d", resp.StatusCode)
	}
	p.login("second password")
	p.stop()
}

// A wrong password answers 401 after about 100 ms; repeated failures lock the address out
// with 429 and Retry-After, answered at once, before any hashing.
func TestWrongPasswordDelayAndLockout(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), "  auth:\n    login_max_attempts: 3\n    login_window: 1m\n    login_lockout: 2m\n"))
	p.setPassword("right password")
	for i := 0; i < 3; i++ {
		begin := time.Now()
		resp, body := p.send("POST", "/auth/login", map[string]string{"password": "wrong password"})
		if took := time.Since(begin); resp.StatusCode != 401 || took < 100*time.Millisecond {
			t.Fatalf("wrong password %d: %d %v after %s, want 401 after ≥ 100 ms", i, resp.StatusCode, body, took)
		}
	}
	begin := time.Now()
	resp, body := p.send("POST", "/auth/login", map[string]string{"password": "right password"})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || time.Since(begin) > 50*time.Millisecond {
		t.Fatalf("locked out: %d Retry-After=%q %v after %s", resp.StatusCode, resp.Header.Get("Retry-After"), body, time.Since(begin))
	}
	p.stop()
}

// ?token= is accepted only on the routes marked bearer-or-query-token.
func TestQueryTokenOnlyWhereAllowed(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	tok := p.login("some password")
	if resp, body := p.call("GET", "/whoami?token="+tok, nil); resp.StatusCode != 401 {
		t.Fatalf("/whoami?token=: %d %v", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", p.api+"/events/stream?token="+tok, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events/stream?token=: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p.stop()
}

// API tokens: created (shown once), used, listed without their value, revoked.
func TestAPITokensLifecycle(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	session := p.login("some password")
	resp, body := p.send("POST", "/auth/tokens", map[string]any{"name": "metrics", "ttl": "720h"}, bearer(session)...)
	if resp.StatusCode != 201 || body["expires_at_ms"].(float64) == 0 {
		t.Fatalf("create: %d %v", resp.StatusCode, body)
	}
	tok, id := body["token"].(string), body["id"].(string)
	if resp, body := p.send("POST", "/auth/tokens", map[string]any{"name": "metrics"}, bearer(session)...); resp.StatusCode != 409 {
		t.Fatalf("duplicate name: %d %v", resp.StatusCode, body)
	}
	if resp, body := p.send("POST", "/auth/tokens", map[string]any{"name": "x", "ttl": 5}, bearer(session)...); resp.StatusCode != 400 {
		t.Fatalf("ttl as a number: %d %v", resp.StatusCode, body)
	}
	resp, body = p.call("GET", "/whoami", nil, bearer(tok)...)
	if principal, _ := body["principal"].(map[string]any); resp.StatusCode != 200 || principal["kind"] != "token" || principal["name"] != "metrics" {
		t.Fatalf("whoami with the API token: %d %v", resp.StatusCode, body)
	}
	resp, body = p.call("GET", "/auth/tokens", nil, bearer(tok)...)
	list, _ := body["tokens"].([]any)
	if resp.StatusCode != 200 || len(list) != 1 || strings.Contains(fmt.Sprint(body), tok) {
		t.Fatalf("list: %d %v", resp.StatusCode, body)
	}
	if resp, _ := p.call("DELETE", "/auth/tokens/"+id, nil, bearer(session)...); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := p.call("GET", "/whoami", nil, bearer(tok)...); resp.StatusCode != 401 {
		t.Fatalf("a revoked token: %d", resp.StatusCode)
	}
	if resp, body := p.call("DELETE", "/auth/tokens/"+id, nil, bearer(session)...); resp.StatusCode != 404 || body["error"] != "token not found" {
		t.Fatalf("revoke twice: %d %v", resp.StatusCode, body)
	}
	p.stop()
}

// SIGTERM while clients write: every acknowledged write (API tokens created) is there after a
// restart, and the daemon exits cleanly.
func TestSigtermDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	p := start(t, cfg)
	p.setPassword("some password")
	session := p.login("some password")
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("c%d-%d", c, i)
				req, _ := http.NewRequest("POST", p.api+"/auth/tokens", strings.NewReader(`{"name":"`+name+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+session)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == 201 {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			}
		}(c)
	}
	time.Sleep(300 * time.Millisecond)
	p.stop()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before SIGTERM")
	}
	p = start(t, cfg)
	session = p.login("some password")
	_, body := p.call("GET", "/auth/tokens", nil, bearer(session)...)
	have := map[string]bool{}
	for _, tk := range body["tokens"].([]any) {
		have[tk.(map[string]any)["name"].(string)] = true
	}
	for _, name := range acked {
		if !have[name] {
			t.Fatalf("token %s was acknowledged (201) before SIGTERM but is gone after the restart (%d acknowledged, %d kept)", name, len(acked), len(have))
		}
	}
	t.Logf("%d acknowledged writes before SIGTERM, all kept", len(acked))
	p.stop()
}
