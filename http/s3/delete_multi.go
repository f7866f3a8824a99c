package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"

	"github.com/meshhold/meshhold/http/s3/sigv4"
)

// Limits of DeleteObjects, as on S3.
const (
	maxDeleteKeys = 1000
	maxDeleteBody = 2 << 20
)

// deleteObjects answers POST /<bucket>?delete: each key deleted on its own, the failures
// listed by key; Quiet leaves the successes out.
func (g *Gateway) deleteObjects(q *request) {
	v, err := g.bucketVault(q, OpDelete)
	if err != nil {
		g.fail(q, err)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(q.auth.Body(q.r), maxDeleteBody+1))
	if err != nil {
		g.fail(q, err) // a checksum or signature refusal from sigv4
		return
	}
	var req deleteRequest
	if len(raw) > maxDeleteBody || xml.Unmarshal(raw, &req) != nil {
		g.fail(q, errMalformedXML)
		return
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		g.fail(q, s3Error(errMalformedXML, "a Delete request names 1 to %d keys", maxDeleteKeys))
		return
	}
	doc := deleteResult{NS: s3NS}
	for _, o := range req.Objects {
		err := error(nil)
		if o.VersionID != "" {
			err = s3Error(errNotImplemented, "deleting a version by id is not implemented")
		} else if p, perr := keyPath(o.Key); perr != nil {
			err = perr
		} else {
			err = g.remove(q, v.ID, p)
		}
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				g.log.Error("s3 delete failed", "key", o.Key, "request_id", q.id, "err", err)
				e = &sigv4.Error{Code: "InternalError", Message: "We encountered an internal error. Please try again."}
			}
			doc.Errors = append(doc.Errors, deleteErrorXML{Key: o.Key, Code: e.Code, Message: e.Message})
			continue
		}
		if !req.Quiet {
			doc.Deleted = append(doc.Deleted, deletedXML{Key: o.Key})
		}
	}
	writeXML(q.w, http.StatusOK, doc)
}
