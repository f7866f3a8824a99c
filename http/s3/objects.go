package s3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// metaPrefix is the request and response header prefix of user metadata.
const metaPrefix = "X-Amz-Meta-"

// object dispatches the requests on "/<bucket>/<key>".
func (g *Gateway) object(q *request) {
	if g.multipartOp(q) {
		return
	}
	sub := subresource(q.r)
	switch {
	case (q.r.Method == http.MethodGet || q.r.Method == http.MethodHead) && sub == "":
		g.getObject(q)
	case q.r.Method == http.MethodPut && sub == "" && q.r.Header.Get("X-Amz-Copy-Source") != "":
		g.copyObject(q)
	case q.r.Method == http.MethodPut && sub == "":
		g.putObject(q)
	case q.r.Method == http.MethodDelete && sub == "":
		g.deleteObject(q)
	default:
		name := sub
		if name == "" {
			name = "object"
		}
		g.fail(q, s3Error(errNotImplemented, "%s ?%s is not implemented by the MeshHold S3 gateway", q.r.Method, name))
	}
}

// etag is an object's S3 ETag: the hex MD5 of its content, quoted.
func etag(md5hex string) string { return `"` + md5hex + `"` }

// modTime is an object's Last-Modified: when its shown version was committed.
func modTime(f messages.FileInfo) time.Time {
	if f.UpdatedMs > 0 {
		return msTime(f.UpdatedMs)
	}
	return msTime(f.MtimeMs)
}

// putObject stores the body as a new version of the key's path, through the REST upload's
// pipeline: admit (BeginUpload), ingest, check blocks, commit.
func (g *Gateway) putObject(q *request) {
	v, p, ok := g.target(q, OpWrite)
	if !ok {
		return
	}
	if n := q.auth.DecodedLength; n > g.cfg.MaxPutBytes {
		g.fail(q, s3Error(errEntityTooLarge, "your proposed upload of %d bytes exceeds the maximum allowed object size of %d bytes", n, g.cfg.MaxPutBytes))
		return
	}
	cond, err := g.putConditions(q, v.ID, p)
	if err != nil {
		g.fail(q, err)
		return
	}
	meta := userMeta(q.r.Header)
	body := q.auth.Body(q.r)
	info, err := g.store(q, v.ID, p, body, q.auth.DecodedLength, q.r.Header.Get("Content-Type"), meta, cond)
	if err != nil {
		g.fail(q, err)
		return
	}
	if c, ok := body.Checksum(); ok {
		q.w.Header().Set(c.Header(), c.Value)
	}
	q.w.Header().Set("ETag", etag(info.MD5))
	q.w.WriteHeader(http.StatusOK)
}

// writeCond is what the vault checks again when it commits a conditional write, so a write
// that lands during the upload makes it PreconditionFailed.
type writeCond struct {
	ifMatch     string // content hash the head must still have
	ifNoneMatch bool   // the key must still not exist
}

// putConditions checks a conditional write's If-None-Match: * (the key must not exist) and
// If-Match (its ETag must be one listed) against the current version, and returns what the
// commit must check again.
func (g *Gateway) putConditions(q *request, id, p string) (writeCond, error) {
	none, match := q.r.Header.Get("If-None-Match"), q.r.Header.Get("If-Match")
	if none == "" && match == "" {
		return writeCond{}, nil
	}
	cur, err := ask[messages.FileInfo](g, q, id, messages.StatFile{Path: p})
	exists := err == nil
	if err != nil && !errors.Is(err, messages.ErrNotFound) {
		return writeCond{}, translate(err, errNoSuchBucket)
	}
	switch {
	case none == "*" && exists:
		return writeCond{}, errPrecondition
	case none != "" && none != "*":
		return writeCond{}, s3Error(errNotImplemented, "If-None-Match on a write supports only *")
	case match != "" && !exists:
		return writeCond{}, errNoSuchKey
	case match != "" && !matchETag(match, etag(cur.MD5)):
		return writeCond{}, errPrecondition
	case match != "" && strings.TrimSpace(match) != "*":
		return writeCond{ifMatch: cur.ContentHash}, nil
	}
	return writeCond{ifNoneMatch: none == "*"}, nil
}

// store ingests body into vault id at path p and commits it as the path's new version, if
// cond still holds.
func (g *Gateway) store(q *request, id, p string, body io.Reader, size int64, ctype string, meta map[string]string, cond writeCond) (messages.FileInfo, error) {
	ctx := q.ctx()
	grant, err := ask[messages.UploadGrant](g, q, id, messages.BeginUpload{Path: p, Size: size, IfMatch: cond.ifMatch, IfNoneMatch: cond.ifNoneMatch})
	if err != nil {
		return messages.FileInfo{}, translate(err, errNoSuchBucket)
	}
	maxPut := g.cfg.MaxPutBytes
	limit := maxPut
	if grant.Remaining >= 0 && grant.Remaining < limit {
		limit = grant.Remaining
	}
	fd := g.cfg.Files
	up, err := files.Ingest(ctx, body, files.IngestConfig{Key: grant.Key, Store: fd.Blocks, Pins: fd.Pins, Limit: limit, Reclaim: fd.Reclaim})
	var tooLarge *files.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && limit < maxPut:
		return messages.FileInfo{}, translate(grant.Over(tooLarge.Read), nil)
	case err != nil:
		return messages.FileInfo{}, translate(err, nil)
	}
	if err := files.CheckBlocks(fd.Blocks, up.Manifest); err != nil {
		up.Abort()
		return messages.FileInfo{}, err
	}
	if ctype == "" {
		ctype = files.ContentType(path.Base(p), up.Head)
	}
	info, err := ask[messages.FileInfo](g, q, id, messages.CommitUpload{Path: p, Manifest: up.Manifest, ContentType: ctype,
		Meta: meta, Author: g.cfg.NodeID, IfMatch: cond.ifMatch, IfNoneMatch: cond.ifNoneMatch})
	switch {
	case err == nil:
		up.Done() // the version's references keep its blocks now
	case errors.Is(err, messages.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		up.Linger(time.Minute) // the commit may still land (sent, then the client hung up): keep its blocks pinned a while
	default:
		up.Abort() // refused for certain
	}
	if err != nil {
		return messages.FileInfo{}, translate(err, errNoSuchBucket)
	}
	if fd.Written != nil {
		fd.Written(ctx, id, info)
	}
	return info, nil
}

// userMeta reads the x-amz-meta-* headers, keys lower-cased (the REST routes' X-MeshHold-Meta-*
// land in the same map).
func userMeta(h http.Header) map[string]string {
	var meta map[string]string
	for k, vs := range h {
		if name, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), metaPrefix); ok && len(vs) > 0 && name != "" {
			if meta == nil {
				meta = map[string]string{}
			}
			meta[strings.ToLower(name)] = vs[0]
		}
	}
	return meta
}

// getObject answers GetObject and HeadObject: ranges and conditionals by files.Serve, with
// the S3 ETag (MD5), Last-Modified and metadata headers.
func (g *Gateway) getObject(q *request) {
	v, p, ok := g.target(q, OpRead)
	if !ok {
		return
	}
	rd, err := ask[messages.Readable](g, q, v.ID, messages.OpenVersion{Path: p})
	if err != nil {
		g.fail(q, translate(err, s3Error(errNoSuchKey, "the specified key %q does not exist", q.key)))
		return
	}
	reader, err := files.NewReader(q.ctx(), g.readStore(), rd.Manifest)
	if err != nil {
		g.fail(q, err)
		return
	}
	defer reader.Close()
	h := q.w.Header()
	for k, val := range rd.File.Meta {
		h.Set(metaPrefix+k, val)
	}
	h.Set("Last-Modified", modTime(rd.File).Format(http.TimeFormat))
	f := files.File{Name: path.Base(p), ContentType: rd.File.ContentType, ETag: etag(rd.File.MD5), ModTime: modTime(rd.File)}
	sw := &statusWriter{ResponseWriter: q.w, q: q}
	if err := files.Serve(sw, q.r, f, reader); err != nil && !errors.Is(err, files.ErrAborted) && !sw.replaced {
		g.fail(q, err)
	}
}

// readStore is where downloads read blocks: the peers-fetching store when there is one.
func (g *Gateway) readStore() persist.BlockStore {
	if g.cfg.Files.ReadBlocks != nil {
		return g.cfg.Files.ReadBlocks
	}
	return g.cfg.Files.Blocks
}

// deleteObject writes a tombstone; deleting a missing key succeeds, as on S3.
func (g *Gateway) deleteObject(q *request) {
	v, p, ok := g.target(q, OpDelete)
	if !ok {
		return
	}
	if err := g.remove(q, v.ID, p); err != nil {
		g.fail(q, err)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// remove deletes path p of vault id; a path that does not exist is no error.
func (g *Gateway) remove(q *request, id, p string) error {
	_, err := ask[messages.FileInfo](g, q, id, messages.DeleteFile{Path: p})
	if err != nil && errors.Is(err, messages.ErrNotFound) {
		if _, verr := ask[messages.VaultStatus](g, q, id, messages.GetVault{}); verr != nil {
			return translate(verr, errNoSuchBucket)
		}
		return nil
	}
	return translate(err, errNoSuchBucket)
}

// statusWriter turns the plain-text 412 and 416 that http.ServeContent writes into S3's
// PreconditionFailed and InvalidRange XML errors.
type statusWriter struct {
	http.ResponseWriter
	q        *request
	replaced bool
}

// WriteHeader replaces a 412 or 416 with the S3 error document.
func (s *statusWriter) WriteHeader(code int) {
	var e *sigv4.Error
	switch code {
	case http.StatusPreconditionFailed:
		e = errPrecondition
	case http.StatusRequestedRangeNotSatisfiable:
		e = errInvalidRange
	default:
		s.s3Headers()
		s.ResponseWriter.WriteHeader(code)
		return
	}
	s.replaced = true
	for _, k := range []string{"Content-Range", "Content-Disposition", "Content-Security-Policy", "Cache-Control"} {
		s.Header().Del(k)
	}
	sigv4.WriteError(s.ResponseWriter, s.q.r, e, s.q.id)
}

// responseOverrides are the GetObject query parameters that set a response header.
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-disposition": "Content-Disposition",
	"response-cache-control": "Cache-Control", "response-content-encoding": "Content-Encoding",
	"response-content-language": "Content-Language", "response-expires": "Expires",
}

// s3Headers drops what files.Serve adds for browsers on the API's origin (S3 sends those
// only when stored) and applies the response-* overrides of the query.
func (s *statusWriter) s3Headers() {
	h := s.Header()
	for _, k := range []string{"Content-Disposition", "Content-Security-Policy", "Cache-Control"} {
		h.Del(k)
	}
	for param, header := range responseOverrides {
		if v := s.q.r.URL.Query().Get(param); v != "" {
			h.Set(header, v)
		}
	}
}

// Write drops the plain-text body of a replaced status.
func (s *statusWriter) Write(p []byte) (int, error) {
	if s.replaced {
		return len(p), nil
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
