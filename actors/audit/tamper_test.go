package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/persist"
)

// Each way of tampering with the stored ring is reported by Verify, and by Read over a span
// that covers it, at the record concerned.
func TestTamperingIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		at     uint64
		reason string
		tamper func(t *testing.T) func(*bolt.Tx) error
	}{
		{"one byte of a record", 5, "record 6's prev is not record 5's hash", func(t *testing.T) func(*bolt.Tx) error {
			return replaceIn(t, 5, `"ip":"127.0.0.1"`, `"ip":"127.0.0.2"`)
		}},
		{"a record edited and its successor's prev forged", 6, "record 7's prev is not record 6's hash", func(t *testing.T) func(*bolt.Tx) error {
			return forge(t, 5, `"ip":"127.0.0.1"`, `"ip":"10.0.0.66"`)
		}},
		{"a middle record deleted", 4, "record 4 is missing", func(*testing.T) func(*bolt.Tx) error {
			return deleteKey(persist.Audit, audit.Key(4))
		}},
		{"the newest records deleted", 7, "records 7–8 are missing", func(*testing.T) func(*bolt.Tx) error {
			return both(deleteKey(persist.Audit, audit.Key(7)), deleteKey(persist.Audit, audit.Key(8)))
		}},
		{"the oldest record deleted", 3, "record 3 is missing", func(*testing.T) func(*bolt.Tx) error {
			return deleteKey(persist.Audit, audit.Key(3))
		}},
		{"the newest record edited", 8, "not the chain head's", func(t *testing.T) func(*bolt.Tx) error {
			return replaceIn(t, 8, `"ip":"127.0.0.1"`, `"ip":"10.0.0.66"`)
		}},
		{"the head deleted", 8, "chain head", func(*testing.T) func(*bolt.Tx) error {
			return deleteKey(persist.Meta, "audit_head")
		}},
		{"a record replaced by garbage", 5, "record 5 is not an audit record", func(*testing.T) func(*bolt.Tx) error {
			return func(tx *bolt.Tx) error {
				return tx.Bucket([]byte(persist.Audit)).Put([]byte(audit.Key(5)), []byte("garbage\n"))
			}
		}},
		{"the oldest-seq marker deleted", 1, "audit_tail", func(*testing.T) func(*bolt.Tx) error {
			return deleteKey(persist.Meta, "audit_tail")
		}},
		{"a record swapped with another", 4, "says seq 5 but is stored as 4", func(*testing.T) func(*bolt.Tx) error {
			return func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte(persist.Audit))
				four, five := bytes.Clone(b.Get([]byte(audit.Key(4)))), bytes.Clone(b.Get([]byte(audit.Key(5))))
				b.Put([]byte(audit.Key(4)), five)
				return b.Put([]byte(audit.Key(5)), four)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, 6) // records 3–8 kept after 8
			r.audited(8)
			r.mustVerify()
			r.raw(c.tamper(t))
			rep := r.verify()
			if rep.OK || rep.BrokenAt != c.at || !strings.Contains(rep.Reason, c.reason) {
				t.Fatalf("verify: %+v, want broken at %d (%q)", rep, c.at, c.reason)
			}
			p, err := audit.Read(r.store, audit.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Integrity.OK || p.Integrity.BrokenAt != c.at {
				t.Fatalf("read: %+v, want broken at %d", p.Integrity, c.at)
			}
		})
	}
}

// An unreadable stored value exports as a JSON line that names it, and the export breaks.
func TestUnreadableRecordExports(t *testing.T) {
	r := newRig(t, 100)
	r.audited(3)
	r.raw(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(persist.Audit)).Put([]byte(audit.Key(2)), []byte("x\ny"))
	})
	lines := r.lines()
	if len(lines) != 3 || string(lines[1]) != `{"seq":2,"unreadable":"x\ny"}` {
		t.Fatalf("lines: %q", lines)
	}
}

// A restart over a tampered ring keeps the break visible and chains new records to the head.
func TestRestartKeepsBreakVisible(t *testing.T) {
	r := newRig(t, 100)
	r.audited(5)
	r.raw(deleteKey(persist.Audit, audit.Key(5)))
	r.audited(2)
	rep := r.verify()
	if rep.OK || rep.BrokenAt != 5 || rep.HeadSeq != 7 {
		t.Fatalf("verify: %+v", rep)
	}
}

func deleteKey(b persist.Bucket, key string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte(b)).Delete([]byte(key)) }
}

func both(fns ...func(*bolt.Tx) error) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, fn := range fns {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return nil
	}
}

// forge edits the record of seq and names its new hash as prev in the record after it, as a
// forger who knows the algorithm would: the break moves one record up, towards the head.
func forge(t *testing.T, seq uint64, old, new string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(persist.Audit))
		line := bytes.Replace(bytes.Clone(b.Get([]byte(audit.Key(seq)))), []byte(old), []byte(new), 1)
		prev, err := hex.DecodeString(string(line[len(line)-66 : len(line)-2]))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(append(prev, line...))
		next := bytes.Clone(b.Get([]byte(audit.Key(seq + 1))))
		copy(next[len(next)-66:], hex.EncodeToString(sum[:]))
		b.Put([]byte(audit.Key(seq)), line)
		return b.Put([]byte(audit.Key(seq+1)), next)
	}
}
