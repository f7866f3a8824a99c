package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/http/metrics"
)

// sink is a ResponseWriter that keeps nothing, so the benchmark measures routing and the
// middleware rather than a recorder.
type sink struct{ h http.Header }

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) Write(p []byte) (int, error) { return len(p), nil }
func (s *sink) WriteHeader(int)             {}

var reply = []byte(`{"id":"abc","name":"photos","size":12345}` + "\n")

// benchRouter is a chi router with one GET and one POST route, the middleware first when c is set.
func benchRouter(c *metrics.Counters) http.Handler {
	mux := chi.NewRouter()
	if c != nil {
		mux.Use(c.Middleware)
	}
	mux.Get("/api/v1/vaults/{vault_id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		w.WriteHeader(http.StatusOK)
		w.Write(reply)
	})
	mux.Post("/api/v1/vaults/{vault_id}/notes", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		w.Write(reply)
	})
	return mux
}

// BenchmarkMiddleware serves requests in process, with and without the counting middleware.
func BenchmarkMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name     string
		counters *metrics.Counters
	}{{"bare", nil}, {"counted", metrics.New("bench")}} {
		h := benchRouter(bc.counters)
		b.Run("GET/"+bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/vaults/abc", nil)
			w := &sink{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
		b.Run("POST/"+bc.name, func(b *testing.B) {
			body := strings.NewReader(`{"text":"hello"}`)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/vaults/abc/notes", body)
			w := &sink{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Seek(0, io.SeekStart)
				r.Body = io.NopCloser(body)
				h.ServeHTTP(w, r)
			}
		})
		b.Run("GET-parallel/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest(http.MethodGet, "/api/v1/vaults/abc", nil)
				w := &sink{h: http.Header{}}
				for pb.Next() {
					h.ServeHTTP(w, r)
				}
			})
		})
	}
}
