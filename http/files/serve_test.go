package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/chunk"
)

type serveRig struct {
	store *memStore
	m     messages.Manifest
	data  []byte
	file  File
}

func newServeRig(t testing.TB, data []byte) *serveRig {
	r := &serveRig{store: newMemStore(), data: data}
	r.m = ingest(t, r.store, bytes.NewReader(data))
	r.file = File{Name: "Rapport été 2026.bin", ContentType: "application/octet-stream",
		ETag: ETag(r.m.ContentHash), ModTime: time.Unix(1_700_000_000, 0)}
	return r
}

// handler serves the rig's file as the API routes will: Serve, then the error table.
func (r *serveRig) handler(download bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		rd, err := NewReader(req.Context(), r.store, r.m)
		if err != nil {
			http.Error(w, "bad manifest", http.StatusInternalServerError)
			return
		}
		defer rd.Close()
		f := r.file
		f.Download = download
		if err := Serve(w, req, f, rd); err != nil && !errors.Is(err, ErrAborted) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"file data unavailable"}`)
		}
	}
}

func (r *serveRig) do(t testing.TB, download bool, method string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/f", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	r.handler(download)(rec, req)
	return rec
}

func TestServeFullAndHeaders(t *testing.T) {
	r := newServeRig(t, bytesOf(1, 3*chunk.Small+77))
	rec := r.do(t, true, "GET")
	h := rec.Header()
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), r.data) {
		t.Fatalf("GET: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	want := map[string]string{
		"Content-Length":         strconv.Itoa(len(r.data)),
		"Accept-Ranges":          "bytes",
		"Etag":                   r.file.ETag,
		"Content-Type":           "application/octet-stream",
		"X-Content-Type-Options": "nosniff",
		"Last-Modified":          r.file.ModTime.UTC().Format(http.TimeFormat),
		"Content-Disposition":    `attachment; filename="Rapport _t_ 2026.bin"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9%202026.bin`,
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err != nil || params["filename"] != r.file.Name {
		t.Errorf("Content-Disposition does not parse back to the name: %v %q", err, params["filename"])
	}
	if rec := r.do(t, false, "GET"); !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "inline;") {
		t.Errorf("stream disposition %q", rec.Header().Get("Content-Disposition"))
	}
	if rec := r.do(t, true, "HEAD"); rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(len(r.data)) {
		t.Errorf("HEAD: %d, %d bytes, length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestServeRangesAndConditionals(t *testing.T) {
	r := newServeRig(t, bytesOf(2, 3*chunk.Small+77))
	size := len(r.data)
	S := chunk.Small
	cases := []struct {
		name   string
		hdr    []string
		code   int
		start  int
		end    int // exclusive; -1: whole body check skipped
		crange string
	}{
		{"single", []string{"Range", "bytes=100-199"}, 206, 100, 200, "bytes 100-199/" + strconv.Itoa(size)},
		{"across a boundary", []string{"Range", "bytes=" + strconv.Itoa(S-1) + "-" + strconv.Itoa(S)}, 206, S - 1, S + 1, ""},
		{"suffix", []string{"Range", "bytes=-100"}, 206, size - 100, size, ""},
		{"open end", []string{"Range", "bytes=" + strconv.Itoa(2*S) + "-"}, 206, 2 * S, size, ""},
		{"past the end clamps", []string{"Range", "bytes=" + strconv.Itoa(size-5) + "-99999999999"}, 206, size - 5, size, ""},
		{"If-Range matches", []string{"Range", "bytes=0-9", "If-Range", r.file.ETag}, 206, 0, 10, ""},
		{"If-Range stale: whole file", []string{"Range", "bytes=0-9", "If-Range", `"other"`}, 200, 0, size, ""},
		{"If-None-Match", []string{"If-None-Match", r.file.ETag}, 304, 0, 0, ""},
		{"If-None-Match other", []string{"If-None-Match", `"other"`}, 200, 0, size, ""},
		{"If-Match other", []string{"If-Match", `"other"`}, 412, 0, -1, ""},
		{"If-Match", []string{"If-Match", r.file.ETag, "Range", "bytes=5-6"}, 206, 5, 7, ""},
		{"unsatisfiable", []string{"Range", "bytes=" + strconv.Itoa(size) + "-"}, 416, 0, -1, "bytes */" + strconv.Itoa(size)},
		{"malformed range", []string{"Range", "bytes=9-3"}, 416, 0, -1, ""},
		{"other unit ignored", []string{"Range", "lines=1-2"}, 200, 0, size, ""},
		{"zero suffix unsatisfiable", []string{"Range", "bytes=-0"}, 416, 0, -1, "bytes */" + strconv.Itoa(size)},
		{"zero suffix dropped", []string{"Range", "bytes=-0,2-3"}, 206, 2, 4, ""},
		{"unit is case-insensitive", []string{"Range", "Bytes=3-4"}, 206, 3, 5, ""},
		{"too many ranges ignored", []string{"Range", "bytes=" + strings.Repeat("0-0,", maxRanges) + "1-1"}, 200, 0, size, ""},
	}
	for _, c := range cases {
		rec := r.do(t, false, "GET", c.hdr...)
		if rec.Code != c.code {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.code)
			continue
		}
		if c.end >= 0 && !bytes.Equal(rec.Body.Bytes(), r.data[c.start:c.end]) {
			t.Errorf("%s: wrong body (%d bytes)", c.name, rec.Body.Len())
		}
		if c.crange != "" && rec.Header().Get("Content-Range") != c.crange {
			t.Errorf("%s: Content-Range %q", c.name, rec.Header().Get("Content-Range"))
		}
	}
}

func TestServeMultipleRanges(t *testing.T) {
	r := newServeRig(t, bytesOf(3, 3*chunk.Small+77))
	S := chunk.Small
	spans := [][2]int{{0, 10}, {S - 3, S + 3}, {2*S + 5, 2*S + 6}, {len(r.data) - 4, len(r.data)}}
	var parts []string
	for _, sp := range spans {
		parts = append(parts, strconv.Itoa(sp[0])+"-"+strconv.Itoa(sp[1]-1))
	}
	rec := r.do(t, false, "GET", "Range", "bytes="+strings.Join(parts, ","))
	if rec.Code != 206 {
		t.Fatalf("status %d", rec.Code)
	}
	got := readMultipart(t, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	if len(got) != len(spans) {
		t.Fatalf("%d parts", len(got))
	}
	for i, sp := range spans {
		if !bytes.Equal(got[i].body, r.data[sp[0]:sp[1]]) {
			t.Errorf("part %d wrong", i)
		}
		if want := "bytes " + strconv.Itoa(sp[0]) + "-" + strconv.Itoa(sp[1]-1) + "/" + strconv.Itoa(len(r.data)); got[i].crange != want {
			t.Errorf("part %d Content-Range %q, want %q", i, got[i].crange, want)
		}
	}
	if l, _ := strconv.Atoi(rec.Header().Get("Content-Length")); l != rec.Body.Len() {
		t.Errorf("Content-Length %d for %d bytes", l, rec.Body.Len())
	}
}

type part struct {
	crange string
	body   []byte
}

func readMultipart(t testing.TB, ctype string, body []byte) []part {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q", ctype)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, part{p.Header.Get("Content-Range"), b})
	}
}

func TestServeSniffsWithoutType(t *testing.T) {
	r := newServeRig(t, []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	r.file.ContentType, r.file.Name = "", "page"
	rec := r.do(t, false, "GET")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("sniffed %q", ct)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Fatalf("user HTML served without a sandbox: %q", csp)
	}
	r.file.Name = "song.mp3"
	if ct := r.do(t, false, "GET").Header().Get("Content-Type"); ct != "audio/mpeg" {
		t.Fatalf("by extension: %q", ct)
	}
	if got := ContentType("notes", []byte("plain words")); !strings.HasPrefix(got, "text/plain") {
		t.Fatalf("ContentType sniff: %q", got)
	}
}

func TestServeEmptyFile(t *testing.T) {
	r := newServeRig(t, nil)
	for _, hdr := range [][]string{nil, {"Range", "bytes=0-10"}} {
		rec := r.do(t, true, "GET", hdr...)
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "0" {
			t.Fatalf("empty file %v: %d, %d bytes", hdr, rec.Code, rec.Body.Len())
		}
	}
}

// A block that fails before the first byte becomes the caller's error response; one that fails
// later cuts the body short, over a real connection.
func TestServeBrokenBlocks(t *testing.T) {
	r := newServeRig(t, bytesOf(6, 4*chunk.Small))
	gone := r.m.Blocks[0]
	saved, _ := r.store.Get(persist.Address(gone.Addr))
	r.store.Delete(persist.Address(gone.Addr))
	rec := r.do(t, false, "GET")
	if rec.Code != 503 || rec.Body.String() != `{"error":"file data unavailable"}` || rec.Header().Get("Content-Range") != "" {
		t.Fatalf("first block gone: %d %q", rec.Code, rec.Body.String())
	}
	for _, rng := range []string{"bytes=10-20", "bytes=0-1,100-200"} {
		rec = r.do(t, false, "GET", "Range", rng)
		if rec.Code != 503 || rec.Header().Get("Content-Range") != "" || strings.Contains(rec.Header().Get("Content-Type"), "multipart") {
			t.Fatalf("range %s with its block gone: %d", rng, rec.Code)
		}
	}
	// A range that does not touch the missing block is served.
	if rec = r.do(t, false, "GET", "Range", "bytes="+strconv.Itoa(chunk.Small)+"-"); rec.Code != 206 {
		t.Fatalf("range past the gone block: %d", rec.Code)
	}
	r.store.set(gone.Addr, saved)
	r.store.Delete(persist.Address(r.m.Blocks[2].Addr))

	srv := httptest.NewServer(r.handler(true))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || len(body) != 2*chunk.Small || !bytes.Equal(body, r.data[:len(body)]) {
		t.Fatalf("mid-body failure: status %d, %d bytes, err %v", resp.StatusCode, len(body), err)
	}
}

// Over a real connection: the whole body, a range, a client that hangs up early.
func TestServeOverLoopback(t *testing.T) {
	r := newServeRig(t, bytesOf(7, chunk.SmallSpan/8+5))
	srv := httptest.NewServer(r.handler(false))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(body, r.data) {
		t.Fatalf("full body: %v, %d bytes", err, len(body))
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 1000))
	cancel()
	resp.Body.Close()
}
