package metrics

import (
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Middleware counts each request by route pattern and status class, and the request body bytes
// read and response body bytes written. Mount it inside the chi router (mux.Use), first, so the
// route pattern is known when the handler returns; outside chi every request is Unmatched.
func (c *Counters) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := &tracker{ResponseWriter: w, c: c, head: r.Method == http.MethodHead}
		if r.Body != nil && r.Body != http.NoBody {
			t.body = countingBody{ReadCloser: r.Body, c: c}
			r.Body = &t.body // in place, as chi's own body middlewares do; net/http closes the original
		}
		next.ServeHTTP(t, r)
		status := t.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http sends 200
		}
		c.countRequest(routePattern(r), status)
	})
}

// routePattern is the chi pattern that served r, "" when none did.
func routePattern(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	switch {
	case rctx == nil || len(rctx.RoutePatterns) == 0:
		return ""
	case len(rctx.RoutePatterns) == 1: // one router, no mounts: the common case, no allocation
		return rctx.RoutePatterns[0]
	}
	return rctx.RoutePattern()
}

// tracker records the status and counts the body bytes of one response. Unwrap keeps
// http.ResponseController working (deadlines, full duplex, hijack); Flush and ReadFrom are
// forwarded so event streams flush and file responses keep sendfile.
type tracker struct {
	http.ResponseWriter
	c      *Counters
	status int
	head   bool // HEAD: net/http discards the body, so it is not counted
	body   countingBody
}

// WriteHeader records the final status; informational 1xx other than 101 are not final.
func (t *tracker) WriteHeader(code int) {
	if t.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *tracker) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	n, err := t.ResponseWriter.Write(p)
	if !t.head {
		t.c.bytesOut.Add(uint64(n))
	}
	return n, err
}

// ReadFrom copies src into the response with the underlying writer's ReadFrom when it has one.
func (t *tracker) ReadFrom(src io.Reader) (int64, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	n, err := io.Copy(t.ResponseWriter, src)
	if !t.head {
		t.c.bytesOut.Add(uint64(n))
	}
	return n, err
}

// Flush sends what is buffered (http.Flusher).
func (t *tracker) Flush() { _ = t.FlushError() }

// FlushError sends what is buffered and reports failure (http.ResponseController prefers it).
func (t *tracker) FlushError() error {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (t *tracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// countingBody counts the request body bytes a handler reads.
type countingBody struct {
	io.ReadCloser
	c *Counters
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.bytesIn.Add(uint64(n))
	return n, err
}
