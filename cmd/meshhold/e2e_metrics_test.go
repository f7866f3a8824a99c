package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// /system/metrics answers the sample ring and validates its window; /metrics (outside /api/v1)
// serves Prometheus text to a bearer only, counting the requests made so far.
func TestMetricsRoutes(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	tok := p.login("some password")
	resp, body := p.call("GET", "/system/metrics", nil, bearer(tok)...)
	if resp.StatusCode != 200 || body["interval_ms"].(float64) != 60000 {
		t.Fatalf("metrics: %d %v", resp.StatusCode, body)
	}
	if _, ok := body["samples"].([]any); !ok {
		t.Fatalf("samples is not a list: %v", body)
	}
	if resp, body := p.call("GET", "/system/metrics?from=yesterday", nil, bearer(tok)...); resp.StatusCode != 400 || !strings.Contains(body["error"].(string), "from") {
		t.Fatalf("a bad from: %d %v", resp.StatusCode, body)
	}
	root := strings.TrimSuffix(p.api, "/api/v1")
	scrape := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", root+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := scrape(""); code != 401 {
		t.Fatalf("/metrics without a bearer: %d", code)
	}
	code, text := scrape(tok)
	for _, want := range []string{`meshhold_http_requests_total{code_class="2xx",route="/api/v1/auth/login"}`, "meshhold_commits_total", "go_goroutines", "process_resident_memory_bytes", "meshhold_build_info"} {
		if code != 200 || !strings.Contains(text, want) {
			t.Fatalf("/metrics: %d, lacks %s:\n%.2000s", code, want, text)
		}
	}
	p.stop()
}
