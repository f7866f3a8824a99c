package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/tlsconf"
)

// POST /system/setup writes the swarm key and bootstrap list into config.yaml, keeping its
// comments, saves them as the active network and connects; status, share and share-node
// follow; the daemon starts again on the edited file.
func TestSetupEditsConfigAndShare(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "# the events section stays as it is\nevents:\n  log_max: 500 # keep 500\n")
	p := start(t, cfg)
	p.setPassword("some password")
	tok := p.login("some password")
	_, st := p.call("GET", "/system/status", nil)
	if st["has_swarm_key"] != false || st["setup_required"] != true || st["network"].(map[string]any)["state"] != "limited" {
		t.Fatalf("status before setup: %v", st)
	}
	if resp, body := p.call("GET", "/system/share", nil, bearer(tok)...); resp.StatusCode != 503 || !strings.Contains(body["error"].(string), "no network is active") {
		t.Fatalf("share in limited mode: %d %v", resp.StatusCode, body)
	}
	if resp, body := p.send("POST", "/system/setup", map[string]any{"swarm_key": "/key/swarm/psk/1.0.0/\n/base16/\nabc\n"}, bearer(tok)...); resp.StatusCode != 400 || !strings.Contains(body["error"].(string), "swarm_key") {
		t.Fatalf("a malformed key: %d %v", resp.StatusCode, body)
	}
	key, err := exec.Command(binary, "keygen").Output()
	if err != nil {
		t.Fatal(err)
	}
	peer := "/ip4/192.0.2.7/tcp/7777/p2p/12D3KooWGzh4mH3pQqTjH5hJr8wZ8Kq4u5jmWbJ4hB9Q6Zc3mV7n"
	resp, body := p.send("POST", "/system/setup", map[string]any{"swarm_key": string(key), "bootstrap_peers": []string{peer}}, bearer(tok)...)
	if resp.StatusCode != 200 || body["has_swarm_key"] != true {
		t.Fatalf("setup: %d %v", resp.StatusCode, body)
	}
	edited := string(mustRead(t, cfg))
	for _, want := range []string{"# test node", "# the events section stays as it is", "log_max: 500 # keep 500", "/key/swarm/psk/1.0.0/", peer} {
		if !strings.Contains(edited, want) {
			t.Fatalf("config.yaml after setup lacks %q:\n%s", want, edited)
		}
	}
	if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.yaml mode %v after setup", fi.Mode())
	}
	_, st = p.call("GET", "/system/status", nil)
	if nw := st["network"].(map[string]any); st["has_swarm_key"] != true || nw["state"] != "connected" || nw["name"] != "default" {
		t.Fatalf("status after setup: %v", st)
	}
	_, share := p.call("GET", "/system/share", nil, bearer(tok)...)
	if !strings.HasPrefix(share["connect_url"].(string), "meshhold://join/v1?") || share["swarm_key"] != string(key) || !strings.Contains(fmt.Sprint(share["bootstrap"]), peer) {
		t.Fatalf("share: %v", share)
	}
	_, node := p.call("GET", "/system/share-node", nil, bearer(tok)...)
	if !strings.HasPrefix(node["url"].(string), "meshhold://node/v1?id="+st["peer_id"].(string)) || strings.Contains(node["url"].(string), "psk") {
		t.Fatalf("share-node: %v", node)
	}
	p.stop()
	p = start(t, cfg)
	if _, st := p.call("GET", "/system/status", nil); st["has_swarm_key"] != true {
		t.Fatalf("status after a restart on the edited config: %v", st)
	}
	p.stop()
}

// A non-loopback bind serves TLS with a self-signed pair made at first start and reused; the
// status reports its SHA-256 fingerprint, which a client pins.
func TestTLSAutoOnNonLoopbackBind(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("node:\n  name: tls\n  listen_addrs: []\napi:\n  bind: 0.0.0.0:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var fps []string
	for run := 0; run < 2; run++ {
		p := start(t, cfg)
		if !strings.HasPrefix(p.api, "https://127.0.0.1:") {
			t.Fatalf("API URL %q, want https on a non-loopback bind", p.api)
		}
		block, _ := pem.Decode(mustRead(t, filepath.Join(dir, "tls", "cert.pem")))
		sum := sha256.Sum256(block.Bytes)
		fp := fmt.Sprintf("% x", sum[:])
		fp = strings.ReplaceAll(fp, " ", ":")
		p.client = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsconf.PinnedClientConfig(fp)}}
		resp, st := p.call("GET", "/system/status", nil)
		tlsInfo, _ := st["tls"].(map[string]any)
		if resp.StatusCode != 200 || tlsInfo["enabled"] != true || tlsInfo["fingerprint"] != fp || tlsInfo["self_signed"] != true {
			t.Fatalf("status over TLS: %d %v (cert on disk %s)", resp.StatusCode, st, fp)
		}
		fps = append(fps, fp)
		p.stop()
	}
	if fps[0] != fps[1] {
		t.Fatalf("the self-signed certificate changed across a restart: %s then %s", fps[0], fps[1])
	}
}

// The event stream: ": connected" first, an event a login publishes, resume with
// Last-Event-ID after a reconnect, and a stream_gap when the id is older than the kept log.
func TestEventStreamLiveResumeAndGap(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), "events:\n  log_max: 100\n"))
	p.setPassword("some password")
	tok := p.login("some password")
	sse := openStream(t, p, tok, "")
	if line := sse.next(t); line != ": connected" {
		t.Fatalf("first line %q, want \": connected\"", line)
	}
	p.login("some password")
	ev := sse.event(t, "login_succeeded")
	sse.close()
	// Missed while disconnected: two more events.
	mk := func(name string) {
		if resp, body := p.send("POST", "/auth/tokens", map[string]string{"name": name}, bearer(tok)...); resp.StatusCode != 201 {
			t.Fatalf("create token: %d %v", resp.StatusCode, body)
		}
	}
	mk("one")
	mk("two")
	sse = openStream(t, p, tok, ev.id)
	sse.next(t)
	first, second := sse.event(t, "token_created"), sse.event(t, "token_created")
	if !strings.Contains(first.data, `"name":"one"`) || !strings.Contains(second.data, `"name":"two"`) || atoi(first.id) <= atoi(ev.id) {
		t.Fatalf("replay after %s: %+v %+v", ev.id, first, second)
	}
	sse.close()
	for i := 0; i < 105; i++ { // push the first events out of the 100 kept
		mk(fmt.Sprint("bulk", i))
	}
	sse = openStream(t, p, tok, "1")
	sse.next(t)
	gap := sse.event(t, "stream_gap")
	if !strings.Contains(gap.data, `"last_event_id":1`) || gap.id != "" {
		t.Fatalf("gap: %+v", gap)
	}
	sse.close()
	p.stop()
}

type sseConn struct {
	resp *http.Response
	sc   *bufio.Scanner
	done chan struct{}
}

type sseEvent struct{ id, typ, data string }

func openStream(t *testing.T, p *proc, tok, lastID string) *sseConn {
	t.Helper()
	req, _ := http.NewRequest("GET", p.api+"/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("open stream: %v %v", resp, err)
	}
	return &sseConn{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next non-empty line, failing after 10 s.
func (s *sseConn) next(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		for s.sc.Scan() {
			if l := s.sc.Text(); l != "" {
				got <- l
				return
			}
		}
		got <- "<eof>"
	}()
	select {
	case l := <-got:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line on the event stream within 10 s")
		return ""
	}
}

// event reads frames until one of type typ, skipping keepalives and other events.
func (s *sseConn) event(t *testing.T, typ string) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		l := s.next(t)
		switch {
		case l == "<eof>":
			t.Fatalf("stream ended before a %s event", typ)
		case strings.HasPrefix(l, "id: "):
			ev.id = strings.TrimPrefix(l, "id: ")
		case strings.HasPrefix(l, "event: "):
			ev.typ = strings.TrimPrefix(l, "event: ")
		case strings.HasPrefix(l, "data: "):
			ev.data = strings.TrimPrefix(l, "data: ")
			if ev.typ == typ {
				return ev
			}
			ev = sseEvent{}
		}
	}
}

func (s *sseConn) close() { s.resp.Body.Close() }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
