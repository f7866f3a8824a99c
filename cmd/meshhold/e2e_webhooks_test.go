package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/webhook"
)

// hookReceiver is a local receiver of outbound webhooks that fails its first fail requests with
// 500 and keeps every request.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	fail     int
	attempts []hookAttempt
}

// hookAttempt is one request the receiver got and what it answered.
type hookAttempt struct {
	seq      uint64
	event    string
	signed   bool // the signature verifies under the configured secret
	body     map[string]any
	accepted bool
}

func newHookReceiver(t *testing.T, secret string, fail int) *hookReceiver {
	r := &hookReceiver{fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		a := hookAttempt{event: req.Header.Get(webhook.HeaderEvent),
			signed: webhook.Verify([]byte(secret), raw, req.Header.Get(webhook.HeaderSignature))}
		a.seq, _ = strconv.ParseUint(req.Header.Get(webhook.HeaderDelivery), 10, 64)
		_ = json.Unmarshal(raw, &a.body)
		r.mu.Lock()
		a.accepted = len(r.attempts) >= r.fail
		r.attempts = append(r.attempts, a)
		r.mu.Unlock()
		if !a.accepted {
			http.Error(w, "not today", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) got() []hookAttempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// waitAttempts polls until n requests arrived.
func (r *hookReceiver) waitAttempts(t *testing.T, n int, within time.Duration) []hookAttempt {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if got := r.got(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook requests after %s, want %d", len(r.got()), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An outbound webhook whose receiver fails its first three requests: the daemon is killed
// (SIGKILL) between retries of the first event, with two more events queued behind it, and
// restarted. Every vault_created event reaches the receiver accepted exactly once, in log_seq
// order, each request signed; the failure streak is in the audit ring.
func TestOutboundWebhookSurvivesAKillDuringRetries(t *testing.T) {
	const secret = "e2e webhook signing secret"
	rcv := newHookReceiver(t, secret, 3)
	dir := t.TempDir()
	cfg := testConfig(t, dir, "outbound_webhooks:\n  - name: ci\n    url: "+rcv.URL+"/hook/path\n    events: [vault_created]\n    secret: \""+secret+"\"\n")
	p := start(t, cfg)
	p.setPassword("webhook password")
	tok := p.login("webhook password")
	var created []string
	created = append(created, newVault(t, p, tok, map[string]any{"name": "one"}).id)
	rcv.waitAttempts(t, 1, 10*time.Second)
	created = append(created, newVault(t, p, tok, map[string]any{"name": "two"}).id)
	created = append(created, newVault(t, p, tok, map[string]any{"name": "three"}).id)
	rcv.waitAttempts(t, 2, 10*time.Second) // the retry after 1 s failed too; next one in 2 s
	p.kill()
	if n := len(rcv.got()); n != 2 {
		t.Fatalf("%d requests before the kill, want 2", n)
	}

	p = start(t, cfg)
	tok = p.login("webhook password")
	created = append(created, newVault(t, p, tok, map[string]any{"name": "four"}).id)
	got := rcv.waitAttempts(t, 3+len(created), 20*time.Second)
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	got = rcv.got()

	var accepted []hookAttempt
	for i, a := range got {
		if !a.signed {
			t.Errorf("request %d (delivery %d) has no valid signature", i, a.seq)
		}
		if a.event != "vault_created" || a.body["type"] != "vault_created" || a.body["log_seq"] != float64(a.seq) {
			t.Errorf("request %d: event %q, body %v", i, a.event, a.body)
		}
		if a.accepted {
			accepted = append(accepted, a)
		}
	}
	if len(accepted) != len(created) {
		t.Fatalf("%d deliveries accepted, want %d (one per vault): %+v", len(accepted), len(created), got)
	}
	for i, a := range accepted {
		if a.body["vault_id"] != created[i] {
			t.Errorf("accepted delivery %d is vault %v, want %s (in creation order)", i, a.body["vault_id"], created[i])
		}
		if i > 0 && a.seq <= accepted[i-1].seq {
			t.Errorf("delivery %d after %d: not in log_seq order", a.seq, accepted[i-1].seq)
		}
	}
	for i := range 3 {
		if got[i].seq != accepted[0].seq {
			t.Errorf("failing request %d was delivery %d, want the first event %d retried", i, got[i].seq, accepted[0].seq)
		}
	}

	page := p.auditPage("/audit?types=webhook_failing,webhook_recovered", tok)
	var types []string
	for _, r := range page.Records {
		types = append(types, r.Type)
		if strings.Contains(string(r.Data), "/hook/path") || strings.Contains(string(r.Data), secret) {
			t.Errorf("audit record carries the URL path or the secret: %s", r.Data)
		}
	}
	if !slices.Contains(types, webhook.TypeFailing) || !slices.Contains(types, webhook.TypeRecovered) {
		t.Errorf("audit records %v, want webhook_failing and webhook_recovered", types)
	}
	p.stop()
}

// Outbound webhook declarations are checked at start, naming the key.
func TestOutboundWebhookConfigErrors(t *testing.T) {
	const good = "    url: https://example.net/hook\n    secret: 0123456789abcdef\n"
	for _, c := range []struct{ yaml, want string }{
		{"outbound_webhooks:\n  - url: https://example.net/hook\n    secret: 0123456789abcdef\n", `outbound_webhooks[0].name: "" must be`},
		{"outbound_webhooks:\n  - name: a\n" + good + "  - name: a\n" + good, `outbound_webhooks[1].name: "a" is used by another outbound webhook`},
		{"outbound_webhooks:\n  - name: a\n    url: ftp://example.net\n    secret: 0123456789abcdef\n", `outbound_webhooks[0].url: "ftp://example.net" is not`},
		{"outbound_webhooks:\n  - name: a\n    url: https://example.net/hook\n    secret: short\n", `outbound_webhooks[0].secret: must be at least 16 characters`},
		{"outbound_webhooks:\n  - name: a\n" + good + "    events: [vault_created, \"meshhold.events.>\"]\n", `outbound_webhooks[0].events[1]: "meshhold.events.>" is not an event type`},
		{"outbound_webhooks:\n  - name: a\n" + good + "    events: [\"\"]\n", `outbound_webhooks[0].events[0]: "" is not`},
	} {
		_, err := parseConfig(filepath.Join(t.TempDir(), "config.yaml"), []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %q:\n  got  %v\n  want …%s…", c.yaml, err, c.want)
		}
	}
	ok := "outbound_webhooks:\n  - name: a\n" + good + "    events: [vault_created, \"vault_*\", \"*\"]\n"
	if _, err := parseConfig(filepath.Join(t.TempDir(), "config.yaml"), []byte(ok)); err != nil {
		t.Errorf("a good declaration: %v", err)
	}
}

// The inbound webhook routes on the real daemon: a declared token probes ok, an unknown one is
// 404 without a bearer challenge, a body without text is 400. (Posting into a room is covered
// once this node has chat rooms.)
func TestInboundWebhookRoutes(t *testing.T) {
	const token = "inbound-token-0123456789"
	p := start(t, testConfig(t, t.TempDir(), "webhooks:\n  - name: ci\n    token: "+token+"\n    room_id: r1\n"))
	if resp, body := p.call("GET", "/hooks/"+token, nil); resp.StatusCode != 200 || body["ok"] != true {
		t.Errorf("probe: %d %v", resp.StatusCode, body)
	}
	if resp, body := p.call("GET", "/hooks/not-"+token, nil); resp.StatusCode != 404 || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("unknown token: %d %v %v", resp.StatusCode, resp.Header, body)
	}
	if resp, body := p.send("POST", "/hooks/"+token, map[string]string{"channel": "#x"}); resp.StatusCode != 400 {
		t.Errorf("no text: %d %v", resp.StatusCode, body)
	}
	p.stop()
	if strings.Contains(p.output(), token) {
		t.Errorf("the daemon logged the token:\n%s", p.output())
	}
}
