package s3

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
)

// copyObject answers PUT with x-amz-copy-source: the source version's bytes are read and
// ingested again into the destination (convergent encryption makes a copy inside one vault
// reuse every block). Metadata is copied, or taken from the request with
// x-amz-metadata-directive: REPLACE.
func (g *Gateway) copyObject(q *request) {
	dst, dstPath, ok := g.target(q, OpWrite)
	if !ok {
		return
	}
	src, err := g.copyFrom(q)
	if err != nil {
		g.fail(q, err)
		return
	}
	rd := src.Readable
	if rd.Manifest.Size > g.cfg.MaxPutBytes {
		g.fail(q, s3Error(errEntityTooLarge, "the copy source is larger than the maximum allowed object size of %d bytes", g.cfg.MaxPutBytes))
		return
	}
	ctype, meta := rd.File.ContentType, rd.File.Meta
	switch strings.ToUpper(q.r.Header.Get("X-Amz-Metadata-Directive")) {
	case "", "COPY":
		if src.vaultID == dst.ID && src.path == dstPath {
			g.fail(q, s3Error(sigv4.ErrInvalidRequest, "this copy request is illegal because it is trying to copy an object to itself without changing the object's metadata"))
			return
		}
	case "REPLACE":
		ctype, meta = q.r.Header.Get("Content-Type"), userMeta(q.r.Header)
	default:
		g.fail(q, s3Error(sigv4.ErrInvalidArgument, "unknown metadata directive"))
		return
	}
	reader, err := files.NewReader(q.ctx(), g.readStore(), rd.Manifest)
	if err != nil {
		g.fail(q, err)
		return
	}
	defer reader.Close()
	info, err := g.store(q, dst.ID, dstPath, reader, rd.Manifest.Size, ctype, meta, writeCond{})
	if err != nil {
		g.fail(q, err)
		return
	}
	writeXML(q.w, http.StatusOK, copyObjectResult{NS: s3NS, LastModified: isoTime(modTime(info)), ETag: etag(info.MD5)})
}

// source is the object an x-amz-copy-source names, opened for reading.
type source struct {
	messages.Readable
	vaultID, path string
}

// copyFrom resolves x-amz-copy-source with the read grant and its copy conditions.
func (g *Gateway) copyFrom(q *request) (source, error) {
	srcBucket, srcKey, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return source{}, err
	}
	if !g.cfg.Allowed(q.auth.AccessKeyID, srcBucket, OpRead) {
		return source{}, accessDenied(OpRead, srcBucket)
	}
	v, err := g.findBucket(q, srcBucket)
	if err != nil {
		return source{}, err
	}
	p, err := keyPath(srcKey)
	if err != nil {
		return source{}, err
	}
	rd, err := ask[messages.Readable](g, q, v.ID, messages.OpenVersion{Path: p})
	if err != nil {
		return source{}, translate(err, s3Error(errNoSuchKey, "the copy source %q does not exist", srcKey))
	}
	if err := copyConditions(q.r, rd.File); err != nil {
		return source{}, err
	}
	return source{Readable: rd, vaultID: v.ID, path: p}, nil
}

// openSource opens the copy source for reading; close the reader.
func (g *Gateway) openSource(q *request) (messages.Readable, *files.Reader, error) {
	src, err := g.copyFrom(q)
	if err != nil {
		return messages.Readable{}, nil, err
	}
	rd, err := files.NewReader(q.ctx(), g.readStore(), src.Manifest)
	if err != nil {
		return messages.Readable{}, nil, err
	}
	return src.Readable, rd, nil
}

// copySource splits x-amz-copy-source ("bucket/key" or "/bucket/key", URL-encoded).
func copySource(v string) (bucket, key string, err error) {
	if i := strings.Index(v, "?versionId="); i >= 0 {
		return "", "", s3Error(errNotImplemented, "copying a version by id is not implemented")
	}
	dec, derr := url.PathUnescape(v)
	if derr != nil {
		return "", "", s3Error(sigv4.ErrInvalidArgument, "x-amz-copy-source is not URL-encoded correctly")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if !ok || bucket == "" || key == "" {
		return "", "", s3Error(sigv4.ErrInvalidArgument, "x-amz-copy-source must name a bucket and a key")
	}
	return bucket, key, nil
}

// copyConditions checks x-amz-copy-source-if-match and -if-none-match against the source.
func copyConditions(r *http.Request, f messages.FileInfo) error {
	tag := etag(f.MD5)
	if m := r.Header.Get("X-Amz-Copy-Source-If-Match"); m != "" && !matchETag(m, tag) {
		return errPrecondition
	}
	if m := r.Header.Get("X-Amz-Copy-Source-If-None-Match"); m != "" && matchETag(m, tag) {
		return errPrecondition
	}
	return nil
}

// matchETag tells whether a comma-separated If-Match list names tag (or is "*").
func matchETag(list, tag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.Trim(t, `"`) == strings.Trim(tag, `"`) {
			return true
		}
	}
	return false
}
