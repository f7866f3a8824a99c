package api_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPushTestWithoutEndpointIs409(t *testing.T) {
	r := newProfRig(t)
	code, body := r.do("POST", "/profile/push-test", "")
	if code != http.StatusConflict || !strings.Contains(body["error"].(string), "no push endpoint is set") {
		t.Fatalf("%d %v", code, body)
	}
}

func TestPushTestPostsToTheEndpoint(t *testing.T) {
	r := newProfRig(t)
	type push struct {
		contentType string
		body        map[string]any
	}
	got := make(chan push, 1)
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		got <- push{req.Header.Get("Content-Type"), body}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if code, body := r.do("PUT", "/profile", profJSON(map[string]string{"push_endpoint": srv.URL + "/up?x=1"})); code != 200 {
		t.Fatalf("set the endpoint: %d %v", code, body)
	}
	before := time.Now().UnixMilli()
	code, reply := r.do("POST", "/profile/push-test", "")
	if code != 200 || reply["ok"] != true || reply["status"] != float64(202) || reply["error"] != nil || reply["latency_ms"] == nil {
		t.Fatalf("push test: %d %v", code, reply)
	}
	p := <-got
	if p.contentType != "application/json" || p.body["type"] != "push_test" || p.body["node_id"] != profPeer || p.body["ts_ms"].(float64) < float64(before) {
		t.Fatalf("the endpoint got %+v", p)
	}
	status = http.StatusGone
	code, reply = r.do("POST", "/profile/push-test", "")
	<-got
	if code != 200 || reply["ok"] != false || reply["status"] != float64(410) || reply["error"] != "the push endpoint answered 410 Gone" {
		t.Fatalf("push test against a 410: %d %v", code, reply)
	}
}

func TestPushTestReportsUnreachableAndSlowEndpoints(t *testing.T) {
	r := newProfRig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/push"
	ln.Close() // nothing listens there now
	r.do("PUT", "/profile", profJSON(map[string]string{"push_endpoint": closed}))
	code, reply := r.do("POST", "/profile/push-test", "")
	if code != 200 || reply["ok"] != false || reply["status"] != float64(0) || !strings.Contains(reply["error"].(string), "could not reach the push endpoint") {
		t.Fatalf("unreachable: %d %v", code, reply)
	}
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	r.routes.PushTimeout = 50 * time.Millisecond
	r.do("PUT", "/profile", profJSON(map[string]string{"push_endpoint": slow.URL}))
	code, reply = r.do("POST", "/profile/push-test", "")
	if code != 200 || reply["ok"] != false || reply["error"] != "the push endpoint did not answer within 50ms" || reply["latency_ms"].(float64) < 40 { // timers may fire a little early; the message names the limit
		t.Fatalf("slow: %d %v", code, reply)
	}
}
