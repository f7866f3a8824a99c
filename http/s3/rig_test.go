package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/s3"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

const (
	askLimit   = 10 * time.Second
	testRegion = "meshhold"
	nodeID     = "12D3KooWS3GatewayTestNode"
)

// rig is a real node over bbolt with the vault actors, the gateway on an httptest server, the
// REST vault routes beside it, and an in-memory key store and grant table.
type rig struct {
	t      testing.TB
	srv    *httptest.Server
	rest   http.Handler
	vaults *api.Vaults
	keys   *keyring.Keyring

	mu      sync.Mutex
	secret  map[string]string
	grants  map[string]bool // "key bucket op"
	down    bool            // the key store cannot answer (lookup fails as unavailable)
	noGrant bool            // CreateBucket's grant fails
}

func newRig(t testing.TB, maxPut int64) *rig {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := blockstore.Open(filepath.Join(dir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: store, Bus: membus.New(), NodeID: nodeID, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, keys: keys, secret: map[string]string{}, grants: map[string]bool{}}
	r.vaults = &api.Vaults{Actors: api.Actors{Root: n.Root, Limit: askLimit}, Sealer: keys, NodeID: nodeID,
		Files: &api.FileDeps{Blocks: blocks, Pins: blockgc.NewPins()}}
	if r.vaults.Registry, err = n.Register(messages.VaultsKind, vault.LoadRegistry); err != nil {
		t.Fatal(err)
	}
	if r.vaults.Vault, err = n.Register(messages.VaultKind, vault.Load(vault.Deps{Unseal: keys.Open, NodeID: nodeID})); err != nil {
		t.Fatal(err)
	}
	r.rest = api.NewRouter(r.vaults.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	gw, err := s3.New(s3.Config{Actors: r.vaults.Actors, Registry: r.vaults.Registry, Vault: r.vaults.Vault,
		Files: r.vaults.Files, NodeID: nodeID, Region: testRegion, MaxPutBytes: maxPut, Logger: quiet,
		Lookup: r.lookup, Allowed: r.allowed, Sealer: keys, GrantAll: r.grantAll})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(gw)
	t.Cleanup(func() {
		r.srv.Close()
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

func (r *rig) lookup(id string) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return "", false, fmt.Errorf("keys actor: %w", messages.ErrUnavailable)
	}
	s, ok := r.secret[id]
	if !ok {
		return "", false, sigv4.ErrUnknownAccessKey
	}
	return s, strings.HasPrefix(id, "maker"), nil
}

// grantAll is CreateBucket's grant of every op to the creating key.
func (r *rig) grantAll(_ context.Context, key, bucket string) error {
	r.mu.Lock()
	failing := r.noGrant
	r.mu.Unlock()
	if failing {
		return fmt.Errorf("keys actor: %w", messages.ErrUnavailable)
	}
	r.key(key, bucket, "read", "write", "delete")
	return nil
}

func (r *rig) allowed(key, bucket, op string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.grants[key+" "+bucket+" "+op]
}

// key adds an access key holding ops on bucket.
func (r *rig) key(id, bucket string, ops ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret[id] = "secret-of-" + id
	for _, op := range ops {
		r.grants[id+" "+bucket+" "+op] = true
	}
}

// vault creates a vault whose s3-alias is bucket and returns its id.
func (r *rig) vault(bucket string) string {
	r.t.Helper()
	id := "v" + strings.ReplaceAll(bucket, "-", "")
	key := vaultcrypt.NewKey()
	sealed, err := r.keys.Seal(messages.VaultKeyPurpose(id), key[:])
	if err != nil {
		r.t.Fatal(err)
	}
	r.registry(messages.CreateVault{ID: id, Name: "vault " + bucket, SealedKey: sealed})
	r.registry(messages.SetAlias{ID: id, Alias: bucket})
	return id
}

func (r *rig) registry(msg any) messages.VaultMeta {
	r.t.Helper()
	m, err := host.AskChild[messages.VaultMeta](context.Background(), r.vaults.Actors.Root, r.vaults.Registry, messages.RegistryID, msg, askLimit)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// sdk is an AWS SDK for Go v2 client signed with key id, path-style, with the default checksums.
func (r *rig) sdk(id string) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:                     testRegion,
		BaseEndpoint:               aws.String(r.srv.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(id, "secret-of-"+id, ""),
		HTTPClient:                 r.srv.Client(),
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
}

// minio is a minio-go client signed with key id (streaming signed payloads on plain HTTP).
func (r *rig) minio(id string) *minio.Client {
	r.t.Helper()
	c, err := minio.New(strings.TrimPrefix(r.srv.URL, "http://"), &minio.Options{
		Creds:     miniocreds.NewStaticV4(id, "secret-of-"+id, ""),
		Region:    testRegion,
		Transport: r.srv.Client().Transport,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// s3Code is the S3 error code of an SDK error ("" when none).
func s3Code(err error) string {
	var ae smithy.APIError
	if err != nil && errorsAs(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails unless err carries the S3 error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := s3Code(err); got != code {
		t.Fatalf("%s: want S3 error %s, got %v", what, code, err)
	}
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ctx() context.Context { return context.Background() }

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// newRESTServer serves the rig's REST vault routes on their own httptest server; its URL.
func newRESTServer(r *rig) string {
	srv := httptest.NewServer(r.rest)
	r.t.Cleanup(srv.Close)
	return srv.URL
}

// askVault sends msg to vault id.
func askVault[R any](r *rig, id string, msg any) (R, error) {
	return host.AskChild[R](context.Background(), r.vaults.Actors.Root, r.vaults.Vault, id, msg, askLimit)
}
