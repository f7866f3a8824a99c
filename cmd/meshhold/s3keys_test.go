package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// s3Daemon is a daemon with only what the S3 keys glue needs: a store, a keyring, the actors.
func s3Daemon(t testing.TB) *daemon {
	t.Helper()
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &daemon{log: quiet, store: store, keys: keys}
	// The committer tells the gateway's cache about changes, as in the daemon.
	n, err := node.Start(node.Deps{Store: store, Bus: membus.New(), NodeID: "self", Logger: quiet, Hooks: []host.CommitHook{&d.s3cache}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.Stop(context.Background())
		_ = store.Close()
	})
	d.node, d.system = n, &api.System{Actors: api.Actors{Root: n.Root, Limit: 10 * time.Second}}
	if err := d.startS3Keys(); err != nil {
		t.Fatal(err)
	}
	return d
}

// s3Ask asks the keys actor as the admin routes do.
func s3Ask[R any](t testing.TB, d *daemon, msg any) (R, error) {
	t.Helper()
	return host.AskChild[R](context.Background(), d.node.Root, d.s3keys.Keys, messages.S3KeysID, msg, 10*time.Second)
}

// What the gateway glue answers follows the keys and grants as the admin API changes them.
func TestS3GlueLookupAndAllowed(t *testing.T) {
	d := s3Daemon(t)
	ctx := context.Background()
	if _, _, err := d.s3Lookup("MHNOSUCHKEY000000000"); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Fatalf("an unknown key: %v", err)
	}
	id, secret := api.NewS3KeyID(), api.NewS3Secret()
	sealed, err := d.keys.Seal(messages.S3KeyPurpose(id), []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3Ask[messages.S3Key](t, d, messages.CreateS3Key{ID: id, Label: "ci", SealedSecret: sealed, CanCreateBuckets: true}); err != nil {
		t.Fatal(err)
	}
	got, canCreate, err := d.s3Lookup(id)
	if err != nil || got != secret || !canCreate {
		t.Fatalf("lookup: %v, canCreate %v, secret matches %v", err, canCreate, got == secret)
	}
	if d.s3Allowed(id, "photos", messages.S3OpRead) {
		t.Fatal("allowed before any grant")
	}
	if err := d.s3GrantAll(ctx, id, "photos"); err != nil {
		t.Fatal(err)
	}
	for _, op := range messages.S3Ops {
		if !d.s3Allowed(id, "photos", op) {
			t.Errorf("%s refused after CreateBucket's grant", op)
		}
	}
	if _, err := d.s3keys.Grant(ctx, messages.GrantS3{KeyID: id, Bucket: "media", Ops: []string{messages.S3OpRead}}); err != nil {
		t.Fatal(err)
	}
	if d.s3Allowed(id, "media", messages.S3OpWrite) || !d.s3Allowed(id, "media", messages.S3OpRead) || d.s3Allowed(id, "other", messages.S3OpRead) {
		t.Fatal("grants on media are not read-only")
	}
	if b := d.s3Buckets(id); !slices.Equal(b, []string{"media", "photos"}) {
		t.Fatalf("buckets %v", b)
	}
	if _, err := s3Ask[messages.S3KeyDeleted](t, d, messages.DeleteS3Key{ID: id}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.s3Lookup(id); !errors.Is(err, sigv4.ErrUnknownAccessKey) || d.s3Allowed(id, "photos", messages.S3OpRead) || len(d.s3Buckets(id)) != 0 {
		t.Fatal("a deleted key still works")
	}
}

// BenchmarkS3GlueAuthorize is what the gateway spends on keys per request: s3Lookup (an ask and
// an Open) and s3Allowed (another ask), from 8 goroutines as the S3 benchmark's clients.
func BenchmarkS3GlueAuthorize(b *testing.B) {
	d := s3Daemon(b)
	id := api.NewS3KeyID()
	sealed, _ := d.keys.Seal(messages.S3KeyPurpose(id), []byte(api.NewS3Secret()))
	if _, err := s3Ask[messages.S3Key](b, d, messages.CreateS3Key{ID: id, SealedSecret: sealed}); err != nil {
		b.Fatal(err)
	}
	if err := d.s3GrantAll(context.Background(), id, "photos"); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // 2 cores × 4 = 8 goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := d.s3Lookup(id); err != nil || !d.s3Allowed(id, "photos", messages.S3OpWrite) {
				b.Error("refused")
				return
			}
		}
	})
}
