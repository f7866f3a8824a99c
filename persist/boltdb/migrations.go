package boltdb

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/persist"
)

// Migration moves the store from Version-1 to Version. Each runs in its own transaction,
// together with the schema version it sets, so a crash leaves the store at one version.
type Migration struct {
	Version uint64
	Name    string
	Apply   func(tx *bolt.Tx) error
}

// schemaKey holds the store's schema version in the meta bucket.
const schemaKey = "schema_version"

// migrations is the store's history, oldest first; a new domain appends one.
var migrations = []Migration{
	{Version: 1, Name: "spine buckets: meta, events, seqs", Apply: createBuckets(persist.Meta, persist.Events, persist.Seqs)},
	{Version: 2, Name: "auth bucket", Apply: createBuckets(persist.Auth)},
	{Version: 3, Name: "audit bucket", Apply: createBuckets(persist.Audit)},
	{Version: 4, Name: "profile, contacts and settings buckets", Apply: createBuckets(persist.Profile, persist.Contacts, persist.Settings)},
	{Version: 5, Name: "vaults and catalog buckets", Apply: createBuckets(persist.Vaults, persist.Catalog)},
	{Version: 6, Name: "networks bucket", Apply: createBuckets(persist.Networks)},
	{Version: 7, Name: "rooms and chat buckets", Apply: createBuckets(persist.Rooms, persist.Chat)},
	{Version: 8, Name: "s3 keys bucket", Apply: createBuckets(persist.S3Keys)},
}

// SchemaVersion is the version this build writes.
func SchemaVersion() uint64 { return migrations[len(migrations)-1].Version }

func createBuckets(names ...persist.Bucket) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	}
}

func readVersion(tx *bolt.Tx) uint64 {
	b := tx.Bucket([]byte(persist.Meta))
	if b == nil {
		return 0
	}
	v := b.Get([]byte(schemaKey))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func migrate(db *bolt.DB, steps []Migration) error {
	var have uint64
	if err := db.View(func(tx *bolt.Tx) error { have = readVersion(tx); return nil }); err != nil {
		return err
	}
	latest := steps[len(steps)-1].Version
	if have > latest {
		return fmt.Errorf("store schema version %d is newer than this meshhold understands (%d): upgrade meshhold", have, latest)
	}
	for _, m := range steps {
		if m.Version <= have {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			if err := m.Apply(tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists([]byte(persist.Meta))
			if err != nil {
				return err
			}
			return meta.Put([]byte(schemaKey), binary.BigEndian.AppendUint64(nil, m.Version))
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}
