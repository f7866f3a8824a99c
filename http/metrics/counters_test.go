package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/metrics"
)

// newServer serves a chi router with the middleware first, as the daemon mounts it, and counts
// the server's connections.
func newServer(t *testing.T, c *metrics.Counters) *httptest.Server {
	t.Helper()
	mux := chi.NewRouter()
	mux.Use(c.Middleware)
	thing := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "thing "+chi.URLParam(r, "id")) }
	mux.Get("/things/{id}", thing)
	mux.Head("/things/{id}", thing)
	mux.Post("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, strings.Repeat("x", int(n%7)))
	})
	mux.Get("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/things/1", http.StatusFound) })
	mux.Get("/boom", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	mux.Get("/file", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, strings.NewReader("0123456789")) })
	mux.Get("/stream", func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush through the middleware: %v", err)
		}
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the wrapped writer is not an http.Flusher")
		}
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		io.WriteString(w, "data: 1\n\n")
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = c.ConnState
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, cl *http.Client, method, url, body string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestCountersThroughServer(t *testing.T) {
	c := metrics.New("1.2.3")
	srv := newServer(t, c)
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := srv.URL
	do(t, cl, "GET", u+"/things/1", "")          // 2xx, 7 bytes out
	do(t, cl, "GET", u+"/things/22", "")         // 2xx, 8
	do(t, cl, "POST", u+"/upload", "0123456789") // 2xx, 10 in, 3 out
	do(t, cl, "GET", u+"/moved", "")             // 3xx, body "<a href=…>Found</a>.\n\n"
	do(t, cl, "GET", u+"/boom", "")              // 5xx, "no\n"
	do(t, cl, "GET", u+"/nowhere", "")           // 4xx unmatched, "404 page not found\n"
	do(t, cl, "DELETE", u+"/things/1", "")       // 4xx unmatched (405), no body
	do(t, cl, "HEAD", u+"/things/3", "")         // 2xx, body discarded: not counted
	do(t, cl, "GET", u+"/file", "")              // 2xx, 10 through ReadFrom
	do(t, cl, "GET", u+"/stream", "")            // 2xx, 9

	s := c.Snapshot()
	if want := [5]uint64{0, 6, 1, 2, 1}; s.Requests != want {
		t.Errorf("requests by class %v, want %v", s.Requests, want)
	}
	if s.BytesIn != 10 {
		t.Errorf("bytes in %d, want 10", s.BytesIn)
	}
	redirect := len(`<a href="/things/1">Found</a>.` + "\n\n")
	if want := uint64(7 + 8 + 3 + redirect + 3 + 19 + 10 + 9); s.BytesOut != want {
		t.Errorf("bytes out %d, want %d", s.BytesOut, want)
	}
	if s.OpenConns != 1 {
		t.Errorf("open connections %d with one keep-alive connection, want 1", s.OpenConns)
	}
	cl.CloseIdleConnections()
	waitFor(t, func() bool { return c.Snapshot().OpenConns == 0 }, "open connections back to 0")

	out := scrape(t, c.Handler())
	for _, line := range []string{
		`meshhold_http_requests_total{code_class="2xx",route="/things/{id}"} 3`,
		`meshhold_http_requests_total{code_class="2xx",route="/upload"} 1`,
		`meshhold_http_requests_total{code_class="3xx",route="/moved"} 1`,
		`meshhold_http_requests_total{code_class="5xx",route="/boom"} 1`,
		`meshhold_http_requests_total{code_class="4xx",route="unmatched"} 2`,
		`meshhold_http_bytes_in_total 10`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	if strings.Contains(out, "/nowhere") {
		t.Error("a raw path became a label")
	}
}

func TestObserveCommitAndGauges(t *testing.T) {
	c := metrics.New("1.2.3")
	c.ObserveCommit(host.CommitStats{Batches: 2, Writes: 9, Events: 3, Took: 3 * time.Millisecond})
	c.ObserveCommit(host.CommitStats{Batches: 1, Writes: 2, Events: 1, Took: 20 * time.Second})
	c.SetSSEClients(func() int { return 4 })
	s := c.Snapshot()
	if s.Commits != 2 || s.EventsPublished != 4 || s.SSEClients != 4 || s.Peers != 0 {
		t.Errorf("snapshot %+v", s)
	}
	c.SetPeers(func() int { return 2 })
	out := scrape(t, c.Handler())
	for _, line := range []string{
		"meshhold_commits_total 2",
		"meshhold_events_published_total 4",
		`meshhold_commit_seconds_bucket{le="0.001"} 0`,
		`meshhold_commit_seconds_bucket{le="0.005"} 1`,
		`meshhold_commit_seconds_bucket{le="10"} 1`,
		`meshhold_commit_seconds_bucket{le="+Inf"} 2`,
		"meshhold_commit_seconds_sum 20.003",
		"meshhold_commit_seconds_count 2",
		"meshhold_sse_clients 4",
		"meshhold_peers 2",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// scrape GETs h in process and returns the text exposition.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
