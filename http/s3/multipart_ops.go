package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// Multipart errors.
var (
	errNoSuchUpload     = &sigv4.Error{Code: "NoSuchUpload", Status: http.StatusNotFound, Message: "the specified multipart upload does not exist; it may have been aborted or completed"}
	errInvalidPart      = &sigv4.Error{Code: "InvalidPart", Status: http.StatusBadRequest}
	errInvalidPartOrder = &sigv4.Error{Code: "InvalidPartOrder", Status: http.StatusBadRequest, Message: "the list of parts was not in ascending order"}
	errEntityTooSmall   = &sigv4.Error{Code: "EntityTooSmall", Status: http.StatusBadRequest}
)

// multipartOp dispatches the multipart requests on an object; false when r is none.
func (g *Gateway) multipartOp(q *request) bool {
	qs := q.r.URL.Query()
	_, create := qs["uploads"]
	id := qs.Get("uploadId")
	switch {
	case create && q.r.Method == http.MethodPost:
		g.createUpload(q)
	case id == "":
		return false
	case q.r.Method == http.MethodPut && q.r.Header.Get("X-Amz-Copy-Source") != "":
		g.uploadPartCopy(q, id)
	case q.r.Method == http.MethodPut:
		g.uploadPart(q, id)
	case q.r.Method == http.MethodPost:
		g.completeUpload(q, id)
	case q.r.Method == http.MethodDelete:
		g.abortUpload(q, id)
	case q.r.Method == http.MethodGet:
		g.listParts(q, id)
	default:
		g.fail(q, errMethodNotAllowed)
	}
	return true
}

func (g *Gateway) now() time.Time {
	if g.cfg.Now != nil {
		return g.cfg.Now()
	}
	return time.Now()
}

// createUpload answers CreateMultipartUpload after the vault admitted the path.
func (g *Gateway) createUpload(q *request) {
	v, p, ok := g.target(q, OpWrite)
	if !ok {
		return
	}
	grant, err := ask[messages.UploadGrant](g, q, v.ID, messages.BeginUpload{Path: p, Size: -1})
	if err != nil {
		g.fail(q, translate(err, errNoSuchBucket))
		return
	}
	up := &mpUpload{id: newUploadID(), bucket: q.bucket, key: q.key, path: p, vaultID: v.ID,
		ctype: q.r.Header.Get("Content-Type"), meta: userMeta(q.r.Header), vaultKey: grant.Key,
		initiated: g.now(), parts: map[int]*mpPart{}}
	g.uploads.add(up)
	writeXML(q.w, http.StatusOK, initiateMultipartUploadResult{NS: s3NS, Bucket: q.bucket, Key: q.key, UploadID: up.id})
}

// partNumber reads ?partNumber: 1…10000.
func partNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > maxParts {
		return 0, s3Error(sigv4.ErrInvalidArgument, "part number must be an integer between 1 and %d", maxParts)
	}
	return n, nil
}

// uploadPart answers UploadPart: the body becomes the part's blocks.
func (g *Gateway) uploadPart(q *request, id string) {
	up, n, err := g.partTarget(q, id)
	if err != nil {
		g.fail(q, err)
		return
	}
	if q.auth.DecodedLength > maxPartSize {
		g.fail(q, s3Error(errEntityTooLarge, "a part holds at most %d bytes", int64(maxPartSize)))
		return
	}
	body := q.auth.Body(q.r)
	part, err := g.ingestPart(q, up, n, body)
	if err != nil {
		g.fail(q, err)
		return
	}
	if c, ok := body.Checksum(); ok {
		q.w.Header().Set(c.Header(), c.Value)
	}
	q.w.Header().Set("ETag", part.etag())
	q.w.WriteHeader(http.StatusOK)
}

// partTarget checks the write grant, the upload and the part number.
func (g *Gateway) partTarget(q *request, id string) (*mpUpload, int, error) {
	v, err := g.bucketVault(q, OpWrite)
	if err != nil {
		return nil, 0, err
	}
	up, ok := g.uploads.get(id, q.bucket, q.key, g.now())
	if !ok || up.vaultID != v.ID { // the bucket names another vault now
		return nil, 0, errNoSuchUpload
	}
	n, err := partNumber(q.r)
	return up, n, err
}

// ingestPart stores body as part n of up, replacing an earlier part n; the vault's quota
// counts the other parts too.
func (g *Gateway) ingestPart(q *request, up *mpUpload, n int, body io.Reader) (*mpPart, error) {
	grant, err := ask[messages.UploadGrant](g, q, up.vaultID, messages.BeginUpload{Path: up.path, Size: -1})
	if err != nil {
		return nil, translate(err, errNoSuchBucket)
	}
	up.mu.Lock()
	used, done := up.size(n), up.done
	up.mu.Unlock()
	if done {
		return nil, errNoSuchUpload
	}
	limit := int64(maxPartSize)
	if grant.Remaining >= 0 && grant.Remaining-used < limit {
		limit = max(grant.Remaining-used, 0)
	}
	fd := g.cfg.Files
	fu, err := files.Ingest(q.ctx(), body, files.IngestConfig{Key: grant.Key, Store: fd.Blocks, Pins: fd.Pins, Limit: limit, Reclaim: fd.Reclaim})
	var tooLarge *files.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && limit < maxPartSize:
		return nil, translate(grant.Over(used+tooLarge.Read), nil)
	case err != nil:
		return nil, translate(err, nil)
	}
	if err := files.CheckBlocks(fd.Blocks, fu.Manifest); err != nil {
		fu.Abort()
		return nil, err
	}
	part := &mpPart{number: n, up: fu, size: fu.Manifest.Size, md5: fu.Manifest.MD5, modified: g.now()}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		fu.Abort()
		return nil, errNoSuchUpload
	}
	if old := up.parts[n]; old != nil {
		old.up.Abort()
	}
	up.parts[n] = part
	return part, nil
}

// uploadPartCopy answers UploadPartCopy: a range (or all) of a source object becomes a part.
func (g *Gateway) uploadPartCopy(q *request, id string) {
	up, n, err := g.partTarget(q, id)
	if err != nil {
		g.fail(q, err)
		return
	}
	rd, reader, err := g.openSource(q)
	if err != nil {
		g.fail(q, err)
		return
	}
	defer reader.Close()
	start, length := int64(0), rd.Manifest.Size
	if v := q.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		a, b, ok := parseCopyRange(v)
		if !ok || b >= rd.Manifest.Size {
			g.fail(q, s3Error(errInvalidRange, "the x-amz-copy-source-range %q is not within the source's %d bytes", v, rd.Manifest.Size))
			return
		}
		start, length = a, b-a+1
	}
	if _, err := reader.Seek(start, io.SeekStart); err != nil {
		g.fail(q, err)
		return
	}
	part, err := g.ingestPart(q, up, n, io.LimitReader(reader, length))
	if err != nil {
		g.fail(q, err)
		return
	}
	writeXML(q.w, http.StatusOK, copyPartResult{NS: s3NS, LastModified: isoTime(part.modified), ETag: part.etag()})
}

// parseCopyRange reads "bytes=first-last".
func parseCopyRange(v string) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, false
	}
	as, bs, ok := strings.Cut(spec, "-")
	a, errA := strconv.ParseInt(as, 10, 64)
	b, errB := strconv.ParseInt(bs, 10, 64)
	if !ok || errA != nil || errB != nil || a < 0 || b < a {
		return 0, 0, false
	}
	return a, b, true
}

// completeUpload answers CompleteMultipartUpload: the listed parts' blocks, in order, become
// one manifest, whose keyed content hash and MD5 are computed by reading it back; the vault
// commits it as the key's new version. The answer's ETag is S3's md5-of-md5s-N; the version
// records the object's real MD5, which HEAD, GET and listings show as its ETag afterwards.
func (g *Gateway) completeUpload(q *request, id string) {
	v, err := g.bucketVault(q, OpWrite)
	if err != nil {
		g.fail(q, err)
		return
	}
	up, ok := g.uploads.get(id, q.bucket, q.key, g.now())
	if !ok || up.vaultID != v.ID { // the bucket names another vault now: its key cannot open the parts
		g.fail(q, errNoSuchUpload)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(q.auth.Body(q.r), maxDeleteBody+1))
	if err != nil {
		g.fail(q, err)
		return
	}
	var req completeMultipartUpload
	if len(raw) > maxDeleteBody || xml.Unmarshal(raw, &req) != nil || len(req.Parts) == 0 {
		g.fail(q, errMalformedXML)
		return
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		g.fail(q, errNoSuchUpload)
		return
	}
	chosen, err := chooseParts(up, req)
	if err != nil {
		g.fail(q, err)
		return
	}
	m := messages.Manifest{}
	for _, p := range chosen {
		m.Blocks = append(m.Blocks, p.up.Manifest.Blocks...)
		m.Size += p.size
	}
	if m.Size > files.MaxUploadSize {
		g.fail(q, s3Error(errEntityTooLarge, "the object would be larger than %d bytes", files.MaxUploadSize))
		return
	}
	if err := g.hashManifest(q.ctx(), up.vaultKey, &m); err != nil {
		g.fail(q, err)
		return
	}
	info, err := ask[messages.FileInfo](g, q, v.ID, messages.CommitUpload{Path: up.path, Manifest: m, ContentType: g.partsType(up),
		Meta: up.meta, Author: g.cfg.NodeID})
	if err != nil {
		g.fail(q, translate(err, errNoSuchBucket)) // the upload stays: the client may retry
		return
	}
	up.done = true
	for _, p := range up.parts {
		if p.up != nil {
			p.up.Done() // listed parts are referenced now; the sweep takes the others
		}
	}
	g.uploads.remove(up.id)
	if g.cfg.Files.Written != nil {
		g.cfg.Files.Written(q.ctx(), v.ID, info)
	}
	writeXML(q.w, http.StatusOK, completeMultipartUploadResult{NS: s3NS, Location: "/" + q.bucket + "/" + q.key,
		Bucket: q.bucket, Key: q.key, ETag: multipartETag(chosen)})
}

// chooseParts checks the Complete request's part list against the uploaded parts.
func chooseParts(up *mpUpload, req completeMultipartUpload) ([]*mpPart, error) {
	for i := 1; i < len(req.Parts); i++ {
		if req.Parts[i].PartNumber <= req.Parts[i-1].PartNumber {
			return nil, errInvalidPartOrder
		}
	}
	chosen := make([]*mpPart, 0, len(req.Parts))
	for i, rp := range req.Parts {
		p := up.parts[rp.PartNumber]
		if p == nil || strings.Trim(rp.ETag, `"`) != strings.Trim(p.etag(), `"`) {
			return nil, s3Error(errInvalidPart, "part %d was not uploaded or its ETag %s differs", rp.PartNumber, rp.ETag)
		}
		if i < len(req.Parts)-1 && p.size < minPartSize {
			return nil, s3Error(errEntityTooSmall, "part %d holds %d bytes; every part but the last needs at least %d", rp.PartNumber, p.size, minPartSize)
		}
		chosen = append(chosen, p)
	}
	return chosen, nil
}

// hashManifest reads m's blocks back to compute the object's keyed content hash and MD5,
// then checks every block is stored.
func (g *Gateway) hashManifest(ctx context.Context, key messages.VaultKey, m *messages.Manifest) error {
	rd, err := files.NewReader(ctx, g.cfg.Files.Blocks, *m)
	if err != nil {
		return err
	}
	defer rd.Close()
	mac, sum := vaultcrypt.NewContentMAC(key), newMD5()
	if _, err := io.Copy(io.MultiWriter(mac, sum), rd); err != nil {
		return err
	}
	m.ContentHash, m.MD5 = [32]byte(mac.Sum(nil)), [16]byte(sum.Sum(nil))
	return files.CheckBlocks(g.cfg.Files.Blocks, *m)
}

// partsType is the recorded type of a completed upload: the one given at creation, else by name.
func (g *Gateway) partsType(up *mpUpload) string {
	if up.ctype != "" {
		return up.ctype
	}
	return files.ContentType(up.path, nil)
}

// abortUpload answers AbortMultipartUpload.
func (g *Gateway) abortUpload(q *request, id string) {
	if _, err := g.bucketVault(q, OpWrite); err != nil {
		g.fail(q, err)
		return
	}
	up, ok := g.uploads.get(id, q.bucket, q.key, g.now())
	if !ok {
		g.fail(q, errNoSuchUpload)
		return
	}
	g.uploads.remove(id)
	up.abort()
	q.w.WriteHeader(http.StatusNoContent)
}

// listParts answers ListParts, paged by part-number-marker and max-parts.
func (g *Gateway) listParts(q *request, id string) {
	if _, err := g.bucketVault(q, OpWrite); err != nil {
		g.fail(q, err)
		return
	}
	up, ok := g.uploads.get(id, q.bucket, q.key, g.now())
	if !ok {
		g.fail(q, errNoSuchUpload)
		return
	}
	qs := q.r.URL.Query()
	marker, _ := strconv.Atoi(qs.Get("part-number-marker"))
	limit := 1000
	if v := qs.Get("max-parts"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n < limit { // 0 would page forever: a paginator follows a marker that never moves
			limit = n
		}
	}
	doc := listPartsResult{NS: s3NS, Bucket: q.bucket, Key: q.key, UploadID: id, PartNumberMarker: marker, MaxParts: limit, StorageClass: "STANDARD"}
	up.mu.Lock()
	for _, p := range up.sorted() {
		if p.number <= marker {
			continue
		}
		if len(doc.Parts) == limit {
			doc.IsTruncated = true
			break
		}
		doc.Parts = append(doc.Parts, partXML{PartNumber: p.number, LastModified: isoTime(p.modified), ETag: p.etag(), Size: p.size})
		doc.NextPartNumberMarker = p.number
	}
	up.mu.Unlock()
	writeXML(q.w, http.StatusOK, doc)
}

// listUploads answers ListMultipartUploads (prefix; at most 1000, no delimiter folding).
func (g *Gateway) listUploads(q *request) {
	if _, err := g.bucketVault(q, OpWrite); err != nil {
		g.fail(q, err)
		return
	}
	prefix := q.r.URL.Query().Get("prefix")
	doc := listUploadsResult{NS: s3NS, Bucket: q.bucket, Prefix: prefix, MaxUploads: 1000}
	for _, up := range g.uploads.list(q.bucket, g.now()) {
		if !strings.HasPrefix(up.key, prefix) {
			continue
		}
		if len(doc.Uploads) == doc.MaxUploads {
			doc.IsTruncated = true
			break
		}
		doc.Uploads = append(doc.Uploads, uploadXML{Key: up.key, UploadID: up.id, Initiated: isoTime(up.initiated), StorageClass: "STANDARD"})
	}
	writeXML(q.w, http.StatusOK, doc)
}
