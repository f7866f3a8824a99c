package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryPair is one decoded name=value of the query string, in the order sent.
type queryPair struct{ Key, Value string }

// parseQuery decodes a raw query string into its pairs. Unlike url.ParseQuery it keeps the
// order, accepts ';' inside values and never drops a pair; "a" and "a=" both give value "".
func parseQuery(raw string) ([]queryPair, error) {
	var pairs []queryPair
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, newError(ErrInvalidArgument, "the query string parameter %q is not valid percent-encoding", k)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, newError(ErrInvalidArgument, "the value of query string parameter %q is not valid percent-encoding", key)
		}
		pairs = append(pairs, queryPair{key, value})
	}
	return pairs, nil
}

// canonicalQuery encodes every pair but skip (the presigned signature) with the SigV4
// encoding and sorts them after encoding, by name then value.
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.Key == skip {
			continue
		}
		enc = append(enc, queryPair{uriEncode(p.Key, true), uriEncode(p.Value, true)})
	}
	slices.SortFunc(enc, func(a, b queryPair) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte outside A-Z a-z 0-9 - . _ ~ with upper-case hex; '/'
// is kept when encoding a path (encodeSlash false).
func uriEncode(s string, encodeSlash bool) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// canonicalURIs returns the canonical path S3 signs — the decoded path encoded once (S3 does
// not double-encode and does not normalize "." or "//") — and, when the client's bytes on the
// wire differ from that (a client that left '!' or '(' unescaped), the wire path as a second
// candidate. Both name the same object, so accepting either admits nothing else.
func canonicalURIs(r *http.Request) []string {
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	primary := uriEncode(path, false)
	wire := r.RequestURI
	if i := strings.IndexByte(wire, '?'); i >= 0 {
		wire = wire[:i]
	}
	if i := strings.Index(wire, "://"); i >= 0 { // absolute-form request target
		wire = wire[i+3:]
		if j := strings.IndexByte(wire, '/'); j >= 0 {
			wire = wire[j:]
		} else {
			wire = "/"
		}
	}
	if wire == "" || wire == primary || !strings.HasPrefix(wire, "/") {
		return []string{primary}
	}
	return []string{primary, wire}
}

// canonicalHeaders builds "name:value\n" for each signed header, in the order signed: values
// of repeated headers joined by ',', each trimmed with runs of spaces folded to one.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(foldSpaces(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValues finds a signed header's values, including the ones net/http moves out of Header.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		if v := r.Header.Values("Transfer-Encoding"); len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
	}
	return r.Header.Values(name)
}

// foldSpaces trims spaces at both ends and folds every run of inner spaces to one.
func foldSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// canonicalRequest joins the six lines SigV4 hashes.
func canonicalRequest(method, uri, query, headers string, signed []string, payload string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + strings.Join(signed, ";") + "\n" + payload
}

// stringToSign is the request's string to sign, for a canonical request in the given scope.
func stringToSign(amzDate, scope, canonical string) string {
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
}

// signingKey derives HMAC("AWS4"+secret, day, region, service, "aws4_request").
func signingKey(secret string, c credential) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), c.Day)
	k = hmacSHA256(k, c.Region)
	k = hmacSHA256(k, c.Service)
	return hmacSHA256(k, scopeTerminal)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signatureEqual compares two hex signatures in constant time.
func signatureEqual(computed []byte, provided string) bool {
	want := make([]byte, hex.EncodedLen(len(computed)))
	hex.Encode(want, computed)
	return hmac.Equal(want, []byte(provided))
}
