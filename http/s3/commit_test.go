package s3_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
)

// hookStore calls onCheck when the gateway checks a block it just wrote: after the
// body is ingested, before the commit is asked for.
type hookStore struct {
	persist.BlockStore
	mu      sync.Mutex
	put     map[persist.Address]bool
	onCheck func()
}

func (s *hookStore) Put(a persist.Address, data []byte) error {
	s.mu.Lock()
	s.put[a] = true
	s.mu.Unlock()
	return s.BlockStore.Put(a, data)
}

func (s *hookStore) Has(a persist.Address) (bool, error) {
	s.mu.Lock()
	hook := s.onCheck
	if !s.put[a] {
		hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.BlockStore.Has(a)
}

// deletingReclaimer deletes what it is handed, as the collector does with blocks no committed
// version references yet.
type deletingReclaimer struct{ store persist.BlockStore }

func (d deletingReclaimer) Reclaim(_ context.Context, addrs []messages.BlockAddr) blockgc.Stats {
	for _, a := range addrs {
		_ = d.store.Delete(persist.Address(a))
	}
	return blockgc.Stats{}
}

// hookedGateway serves a gateway over the rig's vaults whose block store is a hookStore;
// wrap may change each request before the gateway sees it. The client signs as key id.
func hookedGateway(t *testing.T, r *rig, id string, wrap func(*http.Request) *http.Request) (*hookStore, *awss3.Client) {
	t.Helper()
	store := &hookStore{BlockStore: r.vaults.Files.Blocks, put: map[persist.Address]bool{}}
	gw, err := s3.New(s3.Config{Actors: r.vaults.Actors, Registry: r.vaults.Registry, Vault: r.vaults.Vault,
		Files:  &api.FileDeps{Blocks: store, Pins: blockgc.NewPins(), Reclaim: deletingReclaimer{store.BlockStore}},
		NodeID: nodeID, Region: testRegion, Lookup: r.lookup, Allowed: r.allowed, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if wrap != nil {
			req = wrap(req)
		}
		gw.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	c := awss3.New(awss3.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: r.sdk(id).Options().Credentials, HTTPClient: srv.Client(), RetryMaxAttempts: 1})
	return store, c
}

// A client that hangs up while its PutObject's commit is on its way does not know whether the
// object was stored, and neither does the gateway: the commit may land. The blocks must stay
// (pinned a while), not be reclaimed at once under a version that then lands without them.
func TestPutCommitOfAClientThatHungUpKeepsItsBlocks(t *testing.T) {
	r := newRig(t, 0)
	id := r.vault("docs")
	r.key("bob", "docs", "read", "write")
	var mu sync.Mutex
	var hangUp context.CancelFunc
	store, c := hookedGateway(t, r, "bob", func(req *http.Request) *http.Request {
		ctx, cancel := context.WithCancel(req.Context())
		mu.Lock()
		hangUp = cancel
		mu.Unlock()
		return req.WithContext(ctx)
	})
	store.onCheck = func() {
		mu.Lock()
		defer mu.Unlock()
		hangUp()
	}
	_, _ = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt"), Body: strings.NewReader("kept")})

	// The commit was sent: it lands.
	var rd messages.Readable
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if rd, err = askVault[messages.Readable](r, id, messages.OpenVersion{Path: "/a.txt"}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("the commit did not land: nothing to check")
		}
	}
	for _, b := range rd.Manifest.Blocks {
		if ok, _ := store.BlockStore.Has(persist.Address(b.Addr)); !ok {
			t.Fatalf("the committed version's block %s was reclaimed: the object is unreadable", b.Addr)
		}
	}
	out, err := r.sdk("bob").GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt")})
	mustNil(t, "GetObject", err)
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "kept" {
		t.Fatalf("GetObject: %q", b)
	}
}

// PutObject with If-Match replaces exactly the version whose ETag it names: a write that lands
// while the body is being stored makes it PreconditionFailed, as on S3, instead of being
// overwritten unseen.
func TestConditionalPutLosesToAWriteDuringItsUpload(t *testing.T) {
	r := newRig(t, 0)
	r.vault("docs")
	r.key("bob", "docs", "read", "write")
	plain := r.sdk("bob")
	first, err := plain.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock"), Body: strings.NewReader("one")})
	mustNil(t, "PutObject one", err)
	store, c := hookedGateway(t, r, "bob", nil)
	var once sync.Once
	store.onCheck = func() {
		once.Do(func() {
			_, err := plain.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock"), Body: strings.NewReader("other writer")})
			mustNil(t, "PutObject of the other writer", err)
		})
	}
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock"), Body: strings.NewReader("two"), IfMatch: first.ETag})
	wantCode(t, "PutObject If-Match a replaced ETag", err, "PreconditionFailed")
	out, err := plain.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock")})
	mustNil(t, "GetObject", err)
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "other writer" {
		t.Fatalf("the key holds %q", b)
	}
}

// A create-only PutObject (If-None-Match: *) loses to another writer that creates the key while
// its body uploads: the vault checks again at the commit, so neither write is silently lost.
func TestCreateOnlyPutLosesToAWriteDuringItsUpload(t *testing.T) {
	r := newRig(t, 0)
	r.vault("docs")
	r.key("bob", "docs", "read", "write")
	plain := r.sdk("bob")
	store, c := hookedGateway(t, r, "bob", nil)
	var once sync.Once
	store.onCheck = func() {
		once.Do(func() {
			_, err := plain.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock"), Body: strings.NewReader("the other writer's lock")})
			mustNil(t, "PutObject of the other writer", err)
		})
	}
	_, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock"), Body: strings.NewReader("mine"), IfNoneMatch: aws.String("*")})
	wantCode(t, "PutObject If-None-Match * of a key created meanwhile", err, "PreconditionFailed")
	out, err := plain.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("lock")})
	mustNil(t, "GetObject", err)
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "the other writer's lock" {
		t.Fatalf("the key holds %q", b)
	}
	_, err = plain.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("fresh"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	mustNil(t, "PutObject If-None-Match * of a new key", err)
}
