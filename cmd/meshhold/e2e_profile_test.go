package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist/boltdb"
)

// contactPeer is a valid peer id of some other node.
const contactPeer = "12D3KooWHHzSeKaY8xuZVzkLbKFfvNgPPeKhFBGrMbNzbm5akpqu"

// startLoggedIn starts the daemon on cfg, sets the password on the first start and logs in.
func startLoggedIn(t *testing.T, cfg string, first bool) (*proc, []string) {
	t.Helper()
	p := start(t, cfg)
	if first {
		p.setPassword("profile password")
	}
	return p, bearer(p.login("profile password"))
}

// config.yaml's node.name seeds the display name; PUT /profile changes it and the change
// survives a restart; a hand edit of node.name wins at the next start.
func TestProfileNameFromConfigPutAndHandEdit(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	p, auth := startLoggedIn(t, cfg, true)
	resp, prof := p.call("GET", "/profile", nil, auth...)
	if resp.StatusCode != 200 || prof["display_name"] != "alpha" || !strings.HasPrefix(prof["node_id"].(string), "12D3KooW") {
		t.Fatalf("GET /profile: %d %v", resp.StatusCode, prof)
	}
	resp, prof = p.send("PUT", "/profile", map[string]any{"display_name": "Bob's NAS", "metered": true}, auth...)
	if resp.StatusCode != 200 || prof["display_name"] != "Bob's NAS" || prof["metered"] != true {
		t.Fatalf("PUT /profile: %d %v", resp.StatusCode, prof)
	}
	if resp, body := p.send("PUT", "/profile", map[string]any{"push_endpoint": "http://push.example/"}, auth...); resp.StatusCode != 400 || !strings.Contains(body["error"].(string), "push_endpoint") {
		t.Fatalf("PUT a plain-http endpoint: %d %v", resp.StatusCode, body)
	}
	if _, me := p.call("GET", "/whoami", nil, auth...); me["name"] != "Bob's NAS" {
		t.Fatalf("whoami after PUT: %v", me)
	}
	p.stop()

	p, auth = startLoggedIn(t, cfg, false)
	if _, prof = p.call("GET", "/profile", nil, auth...); prof["display_name"] != "Bob's NAS" || prof["metered"] != true {
		t.Fatalf("after a restart with the same node.name: %v", prof)
	}
	p.stop()

	src, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(src), "name: alpha", "name: beta", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, auth = startLoggedIn(t, cfg, false)
	if _, prof = p.call("GET", "/profile", nil, auth...); prof["display_name"] != "beta" || prof["metered"] != true {
		t.Fatalf("after a hand edit of node.name: %v", prof)
	}
	p.stop()
}

// POST /profile/push-test: 409 without an endpoint, then a real POST to a loopback endpoint,
// then an endpoint where nothing listens.
func TestProfilePushTest(t *testing.T) {
	p, auth := startLoggedIn(t, testConfig(t, t.TempDir(), ""), true)
	if resp, body := p.call("POST", "/profile/push-test", nil, auth...); resp.StatusCode != 409 || !strings.Contains(body["error"].(string), "no push endpoint") {
		t.Fatalf("without an endpoint: %d %v", resp.StatusCode, body)
	}
	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		got <- m
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	p.send("PUT", "/profile", map[string]any{"push_endpoint": srv.URL + "/push"}, auth...)
	resp, reply := p.call("POST", "/profile/push-test", nil, auth...)
	if resp.StatusCode != 200 || reply["ok"] != true || reply["status"] != float64(204) {
		t.Fatalf("push test: %d %v", resp.StatusCode, reply)
	}
	if m := <-got; m["type"] != "push_test" || !strings.HasPrefix(m["node_id"].(string), "12D3KooW") || m["ts_ms"] == nil {
		t.Fatalf("the endpoint got %v", m)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	p.send("PUT", "/profile", map[string]any{"push_endpoint": "http://" + ln.Addr().String() + "/push"}, auth...)
	resp, reply = p.call("POST", "/profile/push-test", nil, auth...)
	if resp.StatusCode != 200 || reply["ok"] != false || reply["status"] != float64(0) || !strings.Contains(reply["error"].(string), "could not reach") {
		t.Fatalf("unreachable endpoint: %d %v", resp.StatusCode, reply)
	}
	p.stop()
}

// Contacts and settings survive a restart; a secret setting is write-only and sealed at rest.
func TestContactsAndSettingsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	const secret = "0123456789abcdef0123456789abcdef"
	p, auth := startLoggedIn(t, cfg, true)
	if resp, c := p.send("POST", "/contacts", map[string]any{"node_id": contactPeer, "name": "bob", "favourite": true}, auth...); resp.StatusCode != 201 || c["name"] != "bob" {
		t.Fatalf("POST /contacts: %d %v", resp.StatusCode, c)
	}
	if resp, c := p.send("PUT", "/contacts/"+contactPeer, map[string]any{"note": "the NAS in the attic"}, auth...); resp.StatusCode != 200 || c["note"] != "the NAS in the attic" {
		t.Fatalf("PUT /contacts/:id: %d %v", resp.StatusCode, c)
	}
	if resp, body := p.send("POST", "/contacts", map[string]any{"node_id": "bob"}, auth...); resp.StatusCode != 400 {
		t.Fatalf("a bad node id: %d %v", resp.StatusCode, body)
	}
	resp, s := p.send("PUT", "/settings", map[string]any{"tmdb_api_key": secret, "ui_theme": "dark"}, auth...)
	if resp.StatusCode != 200 || s["ui_theme"] != "dark" || s["tmdb_api_key"].(map[string]any)["set"] != true {
		t.Fatalf("PUT /settings: %d %v", resp.StatusCode, s)
	}
	if resp, body := p.send("PUT", "/settings", map[string]any{"ui_theme": "blue"}, auth...); resp.StatusCode != 400 || !strings.Contains(body["error"].(string), "ui_theme") {
		t.Fatalf("a bad value: %d %v", resp.StatusCode, body)
	}
	p.stop()

	p, auth = startLoggedIn(t, cfg, false)
	if resp, c := p.call("GET", "/contacts/"+contactPeer, nil, auth...); resp.StatusCode != 200 || c["name"] != "bob" || c["favourite"] != true {
		t.Fatalf("contact after a restart: %d %v", resp.StatusCode, c)
	}
	_, s = p.call("GET", "/settings", nil, auth...)
	if s["ui_theme"] != "dark" || s["tmdb_api_key"].(map[string]any)["set"] != true {
		t.Fatalf("settings after a restart: %v", s)
	}
	if resp, _ := p.call("DELETE", "/contacts/"+contactPeer, nil, auth...); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp, body := p.call("GET", "/contacts/"+contactPeer, nil, auth...); resp.StatusCode != 404 || body["error"] != "contact not found" {
		t.Fatalf("GET after DELETE: %d %v", resp.StatusCode, body)
	}
	p.stop()
	db, err := os.ReadFile(filepath.Join(dir, boltdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(secret)) || strings.Contains(p.output(), secret) {
		t.Fatal("the secret setting is in the store file or the daemon's output in plain text")
	}
}
