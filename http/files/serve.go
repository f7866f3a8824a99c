package files

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// File describes the version Serve answers with.
type File struct {
	Name        string    // base name: Content-Disposition, and the type when ContentType is ""
	ContentType string    // the recorded type; "" → by extension, then sniffed from the first block
	ETag        string    // strong validator, ETag(content hash)
	ModTime     time.Time // Last-Modified (and If-Modified-Since); zero for none
	Download    bool      // Content-Disposition: attachment (else inline)
}

// Serve answers GET or HEAD for a stored version through http.ServeContent — single and
// multiple ranges (multipart/byteranges), If-Range, If-Match, If-None-Match,
// If-(Un)Modified-Since, 206/304/412/416, Accept-Ranges, Content-Type by name or sniffing —
// adding Content-Disposition, ETag, nosniff and a sandbox CSP, and writing the body straight
// from the decrypted blocks. When a block fails before anything was sent, Serve writes nothing
// and returns the error for the caller's error table; a failure mid-body returns an error
// wrapping ErrAborted (the client saw a short body). Serve does not close rd.
func Serve(w http.ResponseWriter, r *http.Request, f File, rd *Reader) error {
	h := w.Header()
	kind := "inline"
	if f.Download {
		kind = "attachment"
	}
	h.Set("Content-Disposition", ContentDisposition(kind, f.Name))
	if f.ETag != "" {
		h.Set("ETag", f.ETag)
	}
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	}
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache")
	}
	// User content on the API's origin: never let a browser run it there.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'")

	sw := &serveWriter{ResponseWriter: w, rd: rd}
	http.ServeContent(sw, normalizeRange(r, rd.Size()), f.Name, f.ModTime, rd)
	switch {
	case sw.err != nil && !sw.sent:
		for _, k := range []string{"Content-Length", "Content-Range", "Content-Type", "Content-Disposition",
			"Accept-Ranges", "ETag", "Last-Modified", "Cache-Control", "Content-Security-Policy"} {
			h.Del(k)
		}
		return sw.err
	case sw.err != nil:
		return fmt.Errorf("%w: %w", ErrAborted, sw.err)
	}
	sw.commit()
	return nil
}

// maxRanges is the most ranges one request may ask for; beyond it the Range header is ignored
// (RFC 9110 §14.2 allows it): many small scattered ranges would each decrypt a whole block.
const maxRanges = 64

// normalizeRange fixes what http.ServeContent gets wrong or leaves open: a Range in another
// unit than bytes must be ignored, not answered 416 (RFC 9110 §14.2); the unit is
// case-insensitive; a zero-length suffix ("-0") is unsatisfiable, not a 206 with an empty body
// and a backwards Content-Range; too many ranges are ignored.
func normalizeRange(r *http.Request, size int64) *http.Request {
	v := r.Header.Get("Range")
	if v == "" {
		return r
	}
	unit, set, ok := strings.Cut(v, "=")
	fixed := ""
	if ok && strings.EqualFold(strings.TrimSpace(unit), "bytes") && strings.Count(set, ",") < maxRanges {
		var kept []string
		for _, spec := range strings.Split(set, ",") {
			first, last, _ := strings.Cut(spec, "-")
			if last = strings.TrimSpace(last); strings.TrimSpace(first) == "" && last != "" && strings.Trim(last, "0") == "" {
				continue // "-0": satisfies nothing
			}
			kept = append(kept, spec)
		}
		switch {
		case len(kept) > 0:
			fixed = "bytes=" + strings.Join(kept, ",")
		default:
			fixed = "bytes=" + strconv.FormatInt(size, 10) + "-" // unsatisfiable: 416
		}
	}
	if fixed == v {
		return r
	}
	r2 := *r
	r2.Header = r.Header.Clone()
	if fixed == "" {
		r2.Header.Del("Range")
	} else {
		r2.Header.Set("Range", fixed)
	}
	return &r2
}
