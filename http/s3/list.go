package s3

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
)

// maxKeys is the most keys one listing page returns (S3's limit and default).
const maxKeys = 1000

// listQuery is a listing as both ListObjects versions ask for it.
type listQuery struct {
	prefix, delimiter string
	after             string // list keys (and common prefixes) strictly after this one
	max               int
}

// listPage is one page: objects and common prefixes in key order.
type listPage struct {
	objects   []messages.FileInfo
	prefixes  []string
	truncated bool
	last      string // the last key or common prefix returned: where the next page starts
}

// list walks the vault's byte-ordered path index from the folder that holds the prefix,
// folding keys into common prefixes at the delimiter and jumping past each common prefix's
// keys with one cursor move instead of reading them.
func (g *Gateway) list(q *request, vaultID string, lq listQuery) (listPage, error) {
	var page listPage
	folder := ""
	if i := strings.LastIndex(lq.prefix, "/"); i >= 0 {
		folder = "/" + lq.prefix[:i+1]
	}
	cursor := ""
	if lq.prefix != "" && !strings.HasSuffix(lq.prefix, "/") {
		cursor = justBefore("/" + lq.prefix)
	}
	if lq.after != "" && "/"+lq.after > cursor {
		cursor = "/" + lq.after
	}
	if lq.max == 0 {
		return page, nil
	}
	for {
		fl, err := ask[messages.FileList](g, q, vaultID, messages.ListFiles{Prefix: folder, Cursor: cursor, Limit: maxKeys})
		if err != nil {
			return page, translate(err, errNoSuchBucket)
		}
		jumped := false
		for _, f := range fl.Files {
			key := pathKey(f.Path)
			if !strings.HasPrefix(key, lq.prefix) {
				if key > lq.prefix {
					return page, nil // past every key with the prefix
				}
				continue
			}
			if lq.delimiter != "" {
				if i := strings.Index(key[len(lq.prefix):], lq.delimiter); i >= 0 {
					cp := key[:len(lq.prefix)+i+len(lq.delimiter)]
					if cp > lq.after {
						if len(page.objects)+len(page.prefixes) == lq.max {
							page.truncated = true
							return page, nil
						}
						page.prefixes = append(page.prefixes, cp)
						page.last = cp
					}
					cursor, jumped = justAfterAll("/"+cp), true // skip every key under cp
					break
				}
			}
			if len(page.objects)+len(page.prefixes) == lq.max {
				page.truncated = true
				return page, nil
			}
			page.objects = append(page.objects, f)
			page.last = key
		}
		if !jumped {
			if fl.NextCursor == "" {
				return page, nil
			}
			cursor = fl.NextCursor
		}
	}
}

// justBefore is a cursor that sorts before s and after every string smaller than s that
// does not start with s's first len(s)-1 bytes: s with its last byte decremented, then 0xff.
func justBefore(s string) string {
	return s[:len(s)-1] + string([]byte{s[len(s)-1] - 1, 0xff})
}

// justAfterAll is a cursor past every valid UTF-8 path starting with p (no such path holds 0xff).
func justAfterAll(p string) string { return p + "\xff" }

// parseMaxKeys reads max-keys: 0…1000, default 1000.
func parseMaxKeys(r *http.Request) (int, error) {
	v := r.URL.Query().Get("max-keys")
	if v == "" {
		return maxKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3Error(sigv4.ErrInvalidArgument, "max-keys %q must be a non-negative integer", v)
	}
	return min(n, maxKeys), nil
}

// listCommon reads the parameters both versions share and checks the grant.
func (g *Gateway) listCommon(q *request) (messages.VaultMeta, listQuery, string, error) {
	v, err := g.bucketVault(q, OpRead)
	if err != nil {
		return v, listQuery{}, "", err
	}
	qs := q.r.URL.Query()
	enc := qs.Get("encoding-type")
	if enc != "" && enc != "url" {
		return v, listQuery{}, "", s3Error(sigv4.ErrInvalidArgument, "invalid encoding-type %q: only url is supported", enc)
	}
	n, err := parseMaxKeys(q.r)
	if err != nil {
		return v, listQuery{}, "", err
	}
	return v, listQuery{prefix: qs.Get("prefix"), delimiter: qs.Get("delimiter"), max: n}, enc, nil
}

// contents renders a page's objects.
func contents(page listPage, enc func(string) string, o *owner) []objectXML {
	out := make([]objectXML, 0, len(page.objects))
	for _, f := range page.objects {
		out = append(out, objectXML{Key: enc(pathKey(f.Path)), LastModified: isoTime(modTime(f)), ETag: etag(f.MD5),
			Size: f.Size, StorageClass: "STANDARD", Owner: o})
	}
	return out
}

func prefixes(page listPage, enc func(string) string) []commonPrefix {
	out := make([]commonPrefix, 0, len(page.prefixes))
	for _, p := range page.prefixes {
		out = append(out, commonPrefix{Prefix: enc(p)})
	}
	return out
}

func encoder(enc string) func(string) string {
	if enc == "url" {
		return urlEncode
	}
	return func(s string) string { return s }
}

// listObjectsV2 answers GET /<bucket>?list-type=2.
func (g *Gateway) listObjectsV2(q *request) {
	v, lq, encType, err := g.listCommon(q)
	if err != nil {
		g.fail(q, err)
		return
	}
	qs := q.r.URL.Query()
	token, startAfter := qs.Get("continuation-token"), qs.Get("start-after")
	lq.after = startAfter
	if token != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			g.fail(q, s3Error(sigv4.ErrInvalidArgument, "the continuation token provided is incorrect"))
			return
		}
		lq.after = string(raw)
	}
	page, err := g.list(q, v.ID, lq)
	if err != nil {
		g.fail(q, err)
		return
	}
	enc := encoder(encType)
	var o *owner
	if qs.Get("fetch-owner") == "true" {
		o = &owner{ID: g.cfg.NodeID, DisplayName: "meshhold"}
	}
	doc := listV2Result{NS: s3NS, Name: q.bucket, Prefix: enc(lq.prefix), StartAfter: enc(startAfter),
		ContinuationToken: token, MaxKeys: lq.max, EncodingType: encType, IsTruncated: page.truncated,
		Contents: contents(page, enc, o), CommonPrefixes: prefixes(page, enc)}
	if lq.delimiter != "" {
		doc.Delimiter = enc(lq.delimiter)
	}
	doc.KeyCount = len(doc.Contents) + len(doc.CommonPrefixes)
	if page.truncated {
		doc.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.last))
	}
	writeXML(q.w, http.StatusOK, doc)
}

// listObjectsV1 answers GET /<bucket> (ListObjects, marker paging).
func (g *Gateway) listObjectsV1(q *request) {
	v, lq, encType, err := g.listCommon(q)
	if err != nil {
		g.fail(q, err)
		return
	}
	lq.after = q.r.URL.Query().Get("marker")
	page, err := g.list(q, v.ID, lq)
	if err != nil {
		g.fail(q, err)
		return
	}
	enc := encoder(encType)
	doc := listV1Result{NS: s3NS, Name: q.bucket, Prefix: enc(lq.prefix), Marker: enc(lq.after), MaxKeys: lq.max,
		EncodingType: encType, IsTruncated: page.truncated, Contents: contents(page, enc, &owner{ID: g.cfg.NodeID, DisplayName: "meshhold"}),
		CommonPrefixes: prefixes(page, enc)}
	if lq.delimiter != "" {
		doc.Delimiter = enc(lq.delimiter)
	}
	if page.truncated {
		doc.NextMarker = enc(page.last)
	}
	writeXML(q.w, http.StatusOK, doc)
}
