package files

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist/chunk"
)

// FuzzServeRange throws arbitrary Range (and If-Range) headers at Serve over a multi-block
// version. The parsing is net/http's (ServeContent, behind normalizeRange); what is fuzzed is
// everything around it: the status must match ServeContent over the plaintext, and every byte
// served must be the plaintext at the offsets its Content-Range names.
//
//	go test ./http/files -run '^$' -fuzz FuzzServeRange -fuzztime 60s
func FuzzServeRange(f *testing.F) {
	for _, seed := range []string{"bytes=0-0", "bytes=-1", "bytes=524287-524288", "bytes=0-1,524288-",
		"bytes=5-1", "bytes=,", "bytes= 1-2", "Bytes=1-2", "lines=1-1", "bytes=1572940-", "bytes=0-9,-3,7-8",
		"bytes=-0", "bytes=99999999999999999999-", "bytes=1-2,1-2,1-2"} {
		f.Add(seed, false)
	}
	r := newServeRig(f, bytesOf(11, 3*chunk.Small+77))
	ref := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("ETag", r.file.ETag)
		rec.Header().Set("Content-Type", r.file.ContentType)
		http.ServeContent(rec, normalizeRange(req, int64(len(r.data))), r.file.Name, r.file.ModTime, bytes.NewReader(r.data))
		return rec
	}
	f.Fuzz(func(t *testing.T, rng string, ifRange bool) {
		req := httptest.NewRequest("GET", "/f", nil)
		req.Header.Set("Range", rng)
		if ifRange {
			req.Header.Set("If-Range", r.file.ETag)
		}
		got := httptest.NewRecorder()
		r.handler(false)(got, req)
		want := ref(req)
		if got.Code != want.Code {
			t.Fatalf("Range %q: status %d, ServeContent says %d", rng, got.Code, want.Code)
		}
		switch {
		case got.Code == 200:
			if !bytes.Equal(got.Body.Bytes(), r.data) {
				t.Fatalf("Range %q: 200 with a wrong body", rng)
			}
		case got.Code == 206 && strings.HasPrefix(got.Header().Get("Content-Type"), "multipart/"):
			for _, p := range readMultipart(t, got.Header().Get("Content-Type"), got.Body.Bytes()) {
				checkPart(t, rng, p.crange, p.body, r.data)
			}
		case got.Code == 206:
			checkPart(t, rng, got.Header().Get("Content-Range"), got.Body.Bytes(), r.data)
		}
	})
}

func checkPart(t *testing.T, rng, crange string, body, data []byte) {
	var start, end, size int
	if _, err := fmt.Sscanf(crange, "bytes %d-%d/%d", &start, &end, &size); err != nil {
		t.Fatalf("Range %q: Content-Range %q: %v", rng, crange, err)
	}
	if size != len(data) || start < 0 || end >= size || start > end || !bytes.Equal(body, data[start:end+1]) {
		t.Fatalf("Range %q: part %q does not hold the plaintext there", rng, crange)
	}
}
