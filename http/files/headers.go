package files

import (
	"encoding/hex"
	"mime"
	"net/http"
	"path"
	"strings"
)

// ETag is the strong validator of a version: its keyed content hash, quoted.
func ETag(contentHash [32]byte) string { return `"` + hex.EncodeToString(contentHash[:]) + `"` }

// ContentType picks a type for a new file: from its name's extension, else by sniffing its
// first bytes (Upload.Head); the result is what the vault records.
func ContentType(name string, head []byte) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return http.DetectContentType(head)
}

// ContentDisposition is the RFC 6266 header value: an ASCII fallback filename (anything else
// replaced by '_') and the exact UTF-8 name as filename*.
func ContentDisposition(kind, name string) string {
	if name == "" {
		return kind
	}
	var fallback, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' || r == '/':
			fallback.WriteByte('_')
		default:
			fallback.WriteRune(r)
		}
	}
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			ext.WriteByte(c)
		} else {
			ext.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return kind + `; filename="` + fallback.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar is RFC 8187's attr-char: sent as is inside filename*.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
