package boltdb

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/persist"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scan(t *testing.T, s *Store, prefix, after string) []string {
	t.Helper()
	var keys []string
	err := persist.ReadWith(s, func(v persist.View) error {
		v.Scan(persist.Meta, prefix, after, func(k string, _ []byte) bool { keys = append(keys, k); return true })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestCommitGetScan(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	defer s.Close()
	var ws []persist.Write
	for _, k := range []string{"a/3", "a/1", "b/1", "a/2", "a"} {
		ws = append(ws, persist.Write{Bucket: persist.Meta, Key: k, Value: []byte("v" + k)})
	}
	if err := s.Commit(ws); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(scan(t, s, "a/", ""), ","); got != "a/1,a/2,a/3" {
		t.Fatalf("scan a/ = %s", got)
	}
	if got := strings.Join(scan(t, s, "a/", "a/1"), ","); got != "a/2,a/3" {
		t.Fatalf("scan a/ after a/1 = %s", got)
	}
	if got := strings.Join(scan(t, s, "a/", "0"), ","); got != "a/1,a/2,a/3" {
		t.Fatalf("a cursor before the prefix must not skip: %s", got)
	}
	if err := s.Commit([]persist.Write{{Bucket: persist.Meta, Key: "a/2", Delete: true}}); err != nil {
		t.Fatal(err)
	}
	_ = persist.ReadWith(s, func(v persist.View) error {
		if _, ok := v.Get(persist.Meta, "a/2"); ok {
			t.Error("deleted key still there")
		}
		if val, ok := v.Get(persist.Meta, "a/3"); !ok || string(val) != "va/3" {
			t.Errorf("get a/3 = %q %v", val, ok)
		}
		return nil
	})
}

// A commit that fails half way applies nothing.
func TestCommitIsAtomic(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), FileName))
	defer s.Close()
	err := s.Commit([]persist.Write{
		{Bucket: persist.Meta, Key: "k", Value: []byte("v")},
		{Bucket: "nope", Key: "k", Value: []byte("v")},
	})
	if !errors.Is(err, persist.ErrUnknownBucket) {
		t.Fatalf("err = %v, want ErrUnknownBucket", err)
	}
	if keys := scan(t, s, "k", ""); len(keys) != 0 {
		t.Fatalf("half a failed commit applied: %v", keys)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := open(t, path)
	defer s.Close()
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second open: %v", err)
	}
}

func TestMigrationsRunOnceAndNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := open(t, path)
	runs := 0
	steps := append(append([]Migration{}, migrations...), Migration{Version: SchemaVersion() + 1, Name: "test", Apply: func(*bolt.Tx) error { runs++; return nil }})
	for i := 0; i < 2; i++ {
		if err := migrate(s.db, steps); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Fatalf("migration ran %d times", runs)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(persist.Meta)).Put([]byte(schemaKey), binary.BigEndian.AppendUint64(nil, 99))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}
