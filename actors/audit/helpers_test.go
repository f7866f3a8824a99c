package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// rig is a bbolt store (no fsync) and a ring driven the way the committer drives it.
type rig struct {
	t      *testing.T
	path   string
	store  *boltdb.Store
	ring   *audit.Ring
	cfg    audit.Config
	logSeq uint64
	ts     int64
}

func newRig(t *testing.T, maxRecords uint64) *rig {
	r := &rig{t: t, path: filepath.Join(t.TempDir(), boltdb.FileName), cfg: audit.Config{Enabled: true, MaxRecords: maxRecords}, ts: 1_700_000_000_000}
	r.open()
	t.Cleanup(func() {
		if r.store != nil {
			r.store.Close()
		}
	})
	return r
}

// open opens the store and the ring (again, after close: a restart).
func (r *rig) open() {
	r.t.Helper()
	var err error
	if r.store, err = boltdb.Open(r.path, boltdb.Options{NoSync: true}); err != nil {
		r.t.Fatal(err)
	}
	if r.ring, err = audit.Open(r.store, r.cfg); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) close() {
	r.t.Helper()
	if err := r.store.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.store = nil
}

func (r *rig) restart() { r.close(); r.open() }

// events builds committed events of the given types, numbered as the committer would.
func (r *rig) events(types ...string) []*eventv1.Event {
	var out []*eventv1.Event
	for _, typ := range types {
		r.logSeq++
		r.ts += 10
		out = append(out, &eventv1.Event{Type: typ, Entity: "auth/local", Seq: r.logSeq, LogSeq: r.logSeq, NodeId: "12D3KooWtest",
			TsMs: r.ts, Data: []byte(fmt.Sprintf(`{"ip":"127.0.0.1","n":%d}`, r.logSeq))})
	}
	return out
}

// commit runs one group commit of events: Prepare, the transaction, Done.
func (r *rig) commit(types ...string) []persist.Write {
	r.t.Helper()
	ws := r.ring.Prepare(r.events(types...))
	err := r.store.Commit(ws)
	r.ring.Done(err == nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return ws
}

// audited commits n audited events, one per commit.
func (r *rig) audited(n int) {
	for range n {
		r.commit("token_created")
	}
}

func (r *rig) verify() audit.Report {
	r.t.Helper()
	rep, err := audit.Verify(r.store)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

func (r *rig) mustVerify() audit.Report {
	r.t.Helper()
	rep := r.verify()
	if !rep.OK {
		r.t.Fatalf("verify: %+v", rep)
	}
	return rep
}

// lines is every stored line, oldest first.
func (r *rig) lines() [][]byte {
	r.t.Helper()
	var out [][]byte
	if _, _, err := audit.Lines(r.store, 0, 0, 0, func(_ uint64, l []byte) { out = append(out, bytes.Clone(l)) }); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// raw edits the bbolt file directly, as an attacker with the file would; the store is closed
// for it and reopened after.
func (r *rig) raw(fn func(tx *bolt.Tx) error) {
	r.t.Helper()
	r.close()
	db, err := bolt.Open(r.path, 0o600, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		r.t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

// checkLines verifies exported lines by the algorithm of docs/audit.md, independently of the
// package: body = line without `,"hash":"…"`, hash = SHA-256(prev bytes ‖ body), prev = the
// predecessor's hash.
func checkLines(t *testing.T, lines [][]byte) {
	t.Helper()
	var prevHash string
	for i, line := range lines {
		var rec struct {
			Seq        uint64
			Prev, Hash string
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		body := append(bytes.Clone(line[:len(line)-75]), '}')
		prev, _ := hex.DecodeString(rec.Prev)
		sum := sha256.Sum256(append(prev, body...))
		if hex.EncodeToString(sum[:]) != rec.Hash {
			t.Fatalf("record %d: hash does not match by the documented algorithm", rec.Seq)
		}
		if i > 0 && rec.Prev != prevHash {
			t.Fatalf("record %d: prev %s, want %s", rec.Seq, rec.Prev, prevHash)
		}
		prevHash = rec.Hash
	}
}

// replaceIn changes old to new in the stored line of seq.
func replaceIn(t *testing.T, seq uint64, old, new string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(persist.Audit))
		v := b.Get([]byte(audit.Key(seq)))
		if !bytes.Contains(v, []byte(old)) {
			t.Fatalf("record %d has no %q: %s", seq, old, v)
		}
		return b.Put([]byte(audit.Key(seq)), bytes.Replace(bytes.Clone(v), []byte(old), []byte(new), 1))
	}
}
