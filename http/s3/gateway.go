package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3/sigv4"
)

// Defaults of Config.
const (
	DefaultRegion      = "meshhold"
	DefaultMaxPutBytes = 64 << 20
)

// Config is what the gateway needs: the vault actors, the byte side of the files routes, and
// the key store and grants (owned by the keys actor, injected as functions).
type Config struct {
	Actors   api.Actors
	Registry *host.Manager // vaults/registry: bucket (alias) → vault
	// VaultsGen is the vault registry's generation: it must change before the registry answers
	// any change of a vault's metadata (create, delete, alias, name, roles, trust). The gateway
	// keeps the vault list while it stays the same; nil asks the registry on every request.
	VaultsGen func() uint64
	Vault     *host.Manager // vault/<id>
	Files     *api.FileDeps // block store, pins, reclaimer, Written hook: the REST routes' own
	NodeID    string        // authors the versions written through S3

	Region      string // signing region and GetBucketLocation; "" = DefaultRegion
	MaxPutBytes int64  // largest PutObject body; 0 = DefaultMaxPutBytes

	// Lookup returns an access key's secret and whether it may create buckets; an error
	// wrapping sigv4.ErrUnknownAccessKey for an unknown key, another when it cannot tell.
	Lookup func(accessKeyID string) (secret string, canCreateBuckets bool, err error)
	// Allowed tells whether the key holds op ("read", "write", "delete") on bucket.
	Allowed func(accessKeyID, bucket, op string) bool

	// GrantAll gives the key every op on a bucket it just created; with Sealer it enables
	// CreateBucket (nil: CreateBucket of a new bucket is NotImplemented).
	GrantAll func(ctx context.Context, accessKeyID, bucket string) error
	Sealer   api.Sealer     // seals a new bucket's vault key with the master key
	Decls    api.VaultDecls // keeps config.yaml's vaults in step; optional

	Logger *slog.Logger
	Now    func() time.Time // nil = time.Now; also the signature clock
}

// The grant operations.
const (
	OpRead   = "read"
	OpWrite  = "write"
	OpDelete = "delete"
)

// Gateway is the S3 listener's http.Handler.
type Gateway struct {
	cfg     Config
	verify  *sigv4.Verifier
	log     *slog.Logger
	uploads uploads                   // multipart uploads in progress
	known   atomic.Pointer[vaultList] // the registry's vault list at a VaultsGen generation
}

// New checks cfg and builds the gateway.
func New(cfg Config) (*Gateway, error) {
	switch {
	case cfg.Lookup == nil || cfg.Allowed == nil:
		return nil, errors.New("s3: Lookup and Allowed are required")
	case cfg.Registry == nil || cfg.Vault == nil || cfg.Files == nil || cfg.Files.Blocks == nil:
		return nil, errors.New("s3: the vault managers and the block store are required")
	case cfg.MaxPutBytes < 0:
		return nil, errors.New("s3: negative max_put_bytes")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.MaxPutBytes == 0 {
		cfg.MaxPutBytes = DefaultMaxPutBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	lookup := cfg.Lookup
	v := &sigv4.Verifier{Region: cfg.Region, Now: cfg.Now,
		Lookup: func(id string) (string, error) { s, _, err := lookup(id); return s, err }}
	return &Gateway{cfg: cfg, verify: v, log: cfg.Logger}, nil
}

// request is one verified S3 request as the handlers see it.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string // x-amz-request-id
	auth   *sigv4.Result
	bucket string // "" for the service
	key    string // "" for a bucket request
}

// fail answers err as an S3 XML error, logging what is not an S3 refusal.
func (g *Gateway) fail(q *request, err error) {
	var s3e *sigv4.Error
	if !errors.As(err, &s3e) {
		g.log.Error("s3 request failed", "method", q.r.Method, "path", q.r.URL.Path, "request_id", q.id, "err", err)
	}
	sigv4.WriteError(q.w, q.r, err, q.id)
}

// ServeHTTP verifies the signature, splits the path-style URL and dispatches.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{w: w, r: r, id: requestID()}
	w.Header().Set("X-Amz-Request-Id", q.id)
	w.Header().Set("Server", "MeshHold")
	// Every bucket has the gateway's region. Said on every answer, as S3 does on a region error,
	// so a client that signed for another (minio-go and restic sign us-east-1 until told) learns
	// which one and signs again.
	w.Header().Set("X-Amz-Bucket-Region", g.cfg.Region)
	res, err := g.verify.Verify(r)
	if err != nil {
		g.fail(q, translate(err, nil)) // a key store that cannot answer is 503, not bad credentials
		return
	}
	q.auth = res
	q.bucket, q.key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case q.bucket == "":
		g.service(q)
	case q.key == "": // "/bucket" and "/bucket/"
		g.bucketOp(q)
	default:
		g.object(q)
	}
}

// subresources are the query parameters that select another operation than the plain one;
// any other parameter (listing options, auth, response-* overrides, x-id) does not.
var subresources = []string{"acl", "accelerate", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging", "metrics",
	"notification", "object-lock", "ownershipControls", "partNumber", "policy", "policyStatus",
	"publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "session",
	"tagging", "torrent", "uploadId", "uploads", "versioning", "versionId", "versions", "website"}

// subresource names the request's subresource ("" for none).
func subresource(r *http.Request) string {
	q := r.URL.Query()
	for _, s := range subresources {
		if _, ok := q[s]; ok {
			return s
		}
	}
	return ""
}

// ctx bounds an actor ask by the request's context.
func (q *request) ctx() context.Context { return q.r.Context() }

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
