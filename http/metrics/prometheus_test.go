package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/metrics"
)

func TestPrometheusHandler(t *testing.T) {
	c := metrics.New("0.9.1")
	out := scrape(t, c.Handler())
	names := []string{
		"meshhold_http_bytes_in_total", "meshhold_http_bytes_out_total", "meshhold_http_open_connections",
		"meshhold_events_published_total", "meshhold_commits_total", "meshhold_commit_seconds_count",
		"meshhold_sse_clients", "meshhold_peers", `meshhold_build_info{version="0.9.1"} 1`,
		"go_goroutines", "go_memstats_alloc_bytes", "go_gc_duration_seconds",
	}
	if runtime.GOOS == "linux" {
		names = append(names, "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds")
	}
	for _, name := range names {
		if !strings.Contains(out, "\n"+name) {
			t.Errorf("scrape lacks %s", name)
		}
	}
	if !strings.Contains(out, "# TYPE meshhold_commit_seconds histogram") {
		t.Error("meshhold_commit_seconds is not a histogram")
	}

	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, metrics.Path, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestMount(t *testing.T) {
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	h := metrics.Mount(rest, metrics.New("x").Handler())
	for path, want := range map[string]string{"/metrics": "go_goroutines", "/api/v1/version": "api", "/metrics/x": "api"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %q lacks %q", path, rec.Body.String(), want)
		}
	}
}

func TestOpenListener(t *testing.T) {
	if o, err := metrics.ListenOpen(metrics.Defaults(), nil, nil); o != nil || err != nil {
		t.Fatalf("no listen address: %v %v", o, err)
	}
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	o, err := metrics.ListenOpen(metrics.Config{Listen: "127.0.0.1:0"}, metrics.New("x").Handler(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	base := "http://" + o.Addr().String()
	resp, err := http.Get(base + metrics.Path) // no credentials
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "meshhold_build_info") {
		t.Errorf("open listener: %d %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/api/v1/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("open listener serves more than /metrics: %d", resp.StatusCode)
	}
	if err := o.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, err := http.Get(base + metrics.Path); err == nil {
		t.Error("still serving after Shutdown")
	}
	var none *metrics.OpenListener
	if none.Shutdown(context.Background()) != nil || none.Close() != nil {
		t.Error("a nil listener does not stop quietly")
	}
	if strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("warned about a loopback address: %s", logged.String())
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		listen, err string
		loopback    bool
	}{
		{"", "", false},
		{"127.0.0.1:9464", "", true},
		{"localhost:9464", "", true},
		{"[::1]:0", "", true},
		{"0.0.0.0:9464", "", false},
		{":9464", "", false},
		{"9464", "metrics.prometheus_listen: \"9464\" is not host:port", false},
		{"127.0.0.1:http", "metrics.prometheus_listen: \"127.0.0.1:http\": port", false},
		{"a b:1", "metrics.prometheus_listen: \"a b:1\": host", false},
	} {
		c := metrics.Config{Listen: tc.listen}
		err := c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.listen, err)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q…", tc.listen, err, tc.err)
		case tc.err == "" && c.Loopback() != tc.loopback:
			t.Errorf("%q: loopback %v", tc.listen, c.Loopback())
		}
	}
}
