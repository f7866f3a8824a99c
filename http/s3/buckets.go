package s3

import (
	"errors"
	"net/http"
	"sort"

	"github.com/meshhold/meshhold/http/s3/sigv4"
)

// service answers requests on "/": ListBuckets.
func (g *Gateway) service(q *request) {
	if q.r.Method != http.MethodGet {
		g.fail(q, errMethodNotAllowed)
		return
	}
	if sub := subresource(q.r); sub != "" {
		g.fail(q, s3Error(errNotImplemented, "?%s on the service is not implemented", sub))
		return
	}
	g.listBuckets(q)
}

// bucketOp dispatches the requests on "/<bucket>".
func (g *Gateway) bucketOp(q *request) {
	sub := subresource(q.r)
	switch {
	case q.r.Method == http.MethodGet && sub == "":
		if q.r.URL.Query().Get("list-type") == "2" {
			g.listObjectsV2(q)
		} else {
			g.listObjectsV1(q)
		}
	case q.r.Method == http.MethodHead && sub == "":
		g.headBucket(q)
	case q.r.Method == http.MethodGet && sub == "location":
		g.bucketLocation(q)
	case q.r.Method == http.MethodGet && sub == "versioning":
		g.bucketVersioning(q)
	case q.r.Method == http.MethodGet && sub == "uploads":
		g.listUploads(q)
	case q.r.Method == http.MethodPost && sub == "delete":
		g.deleteObjects(q)
	case q.r.Method == http.MethodPut && sub == "":
		g.createBucket(q)
	case q.r.Method == http.MethodDelete && sub == "":
		g.deleteBucket(q)
	default:
		name := sub
		if name == "" {
			name = q.r.Method + " bucket"
		}
		g.fail(q, s3Error(errNotImplemented, "%s (?%s) is not implemented by the MeshHold S3 gateway", q.r.Method, name))
	}
}

// listBuckets lists the buckets the key holds a grant on.
func (g *Gateway) listBuckets(q *request) {
	list, err := g.vaults(q)
	if err != nil {
		g.fail(q, err)
		return
	}
	doc := listBucketsResult{NS: s3NS, Owner: owner{ID: g.cfg.NodeID, DisplayName: "meshhold"}, Buckets: []bucketXML{}}
	for _, m := range list {
		if m.Alias == "" || m.Untrusted || !g.anyGrant(q.auth.AccessKeyID, m.Alias) {
			continue
		}
		doc.Buckets = append(doc.Buckets, bucketXML{Name: m.Alias, CreationDate: isoTime(msTime(m.CreatedMs))})
	}
	sort.Slice(doc.Buckets, func(i, j int) bool { return doc.Buckets[i].Name < doc.Buckets[j].Name })
	writeXML(q.w, http.StatusOK, doc)
}

// headBucket answers 200 when the bucket exists and the key holds a grant on it.
func (g *Gateway) headBucket(q *request) {
	if err := g.bucketAny(q); err != nil {
		g.fail(q, err)
		return
	}
	q.w.WriteHeader(http.StatusOK)
}

// bucketAny checks the bucket exists and the key holds some grant on it. A key that may create
// buckets gets NoSuchBucket for a free name, as on S3 (CreateBucket would tell it anyway):
// clients that HEAD a bucket before creating it (restic init, minio-go's BucketExists) need it.
func (g *Gateway) bucketAny(q *request) error {
	if !g.anyGrant(q.auth.AccessKeyID, q.bucket) {
		if _, canCreate, _ := g.cfg.Lookup(q.auth.AccessKeyID); canCreate {
			if _, err := g.findBucket(q, q.bucket); errors.Is(err, errNoSuchBucket) {
				return err
			}
		}
		return s3Error(sigv4.ErrAccessDenied, "access denied: the key holds no grant on bucket %q", q.bucket)
	}
	_, err := g.findBucket(q, q.bucket)
	return err
}

// bucketLocation answers the gateway's region.
func (g *Gateway) bucketLocation(q *request) {
	if err := g.bucketAny(q); err != nil {
		g.fail(q, err)
		return
	}
	writeXML(q.w, http.StatusOK, locationConstraint{NS: s3NS, Region: g.cfg.Region})
}

// bucketVersioning answers "never enabled": a vault keeps versions, but S3 versioning (version
// ids, ListObjectVersions) is not offered.
func (g *Gateway) bucketVersioning(q *request) {
	if err := g.bucketAny(q); err != nil {
		g.fail(q, err)
		return
	}
	writeXML(q.w, http.StatusOK, versioningConfiguration{NS: s3NS})
}
