package api

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/meshhold/meshhold/messages"
)

// Limits of a file path inside a vault.
const (
	MaxPathBytes    = 4096
	MaxSegmentBytes = 255
)

// VaultPath is the path a `*path` route names: "/" plus the URL-decoded remainder after the
// route's fixed part, so …/upload/2026/photo.jpg names /2026/photo.jpg and an encoded leading
// %2F collapses into the leading slash. It answers a 400 naming the problem for "." or ".."
// segments, empty segments, NUL and control characters, invalid UTF-8 and over-long names:
// never a path outside the vault.
func VaultPath(r *http.Request, routePrefix string) (string, error) {
	raw := r.URL.EscapedPath()
	i := strings.Index(raw, routePrefix)
	if i < 0 {
		return "", messages.Invalid("path", "the route has no file path")
	}
	return CleanVaultPath(raw[i+len(routePrefix):])
}

// CleanVaultPath checks and decodes an escaped path remainder (see VaultPath).
func CleanVaultPath(escaped string) (string, error) {
	decoded, err := url.PathUnescape(escaped)
	if err != nil {
		return "", messages.Invalid("path", "bad percent-encoding")
	}
	p := "/" + strings.TrimPrefix(decoded, "/")
	switch {
	case p == "/":
		return "", messages.Invalid("path", "names no file: give a path after the vault, e.g. /2026/photo.jpg")
	case len(p) > MaxPathBytes:
		return "", messages.Invalid("path", "longer than %d bytes", MaxPathBytes)
	case !utf8.ValidString(p):
		return "", messages.Invalid("path", "is not valid UTF-8")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch {
		case seg == "":
			return "", messages.Invalid("path", "has an empty segment (// or a trailing /)")
		case seg == "." || seg == "..":
			return "", messages.Invalid("path", "has a %q segment", seg)
		case len(seg) > MaxSegmentBytes:
			return "", messages.Invalid("path", "has a name longer than %d bytes", MaxSegmentBytes)
		case strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return "", messages.Invalid("path", "has a NUL or control character")
		}
	}
	return p, nil
}

// CleanPrefix checks a listing prefix (?path=/folder): "" and "/" mean the whole vault; otherwise
// the rules of CleanVaultPath, a trailing slash allowed.
func CleanPrefix(q string) (string, error) {
	if q == "" || q == "/" {
		return "/", nil
	}
	p, err := CleanVaultPath(url.PathEscape(strings.TrimSuffix(q, "/")))
	if err != nil {
		return "", err
	}
	return p, nil
}
