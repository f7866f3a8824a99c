package vault

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// keys lays out one vault's catalog in persist.Catalog, every key under vault/<id>/.
type keys struct{ p string }

func catalogKeys(id string) keys { return keys{p: "vault/" + id + "/"} }

func (k keys) all() string      { return k.p }
func (k keys) policy() string   { return k.p + "policy" }
func (k keys) usage() string    { return k.p + "usage" }
func (k keys) keyCheck() string { return k.p + "keycheck" }

func (k keys) versions() string           { return k.p + "ver/" }
func (k keys) version(addr []byte) string { return k.versions() + hex.EncodeToString(addr) }

func (k keys) paths() string            { return k.p + "path/" }
func (k keys) path(p string) string     { return k.paths() + p }
func (k keys) pathOf(key string) string { return strings.TrimPrefix(key, k.paths()) }

// history keys are hist/<path>\x00<seq BE8>: a path's versions in commit order (paths hold no NUL).
func (k keys) history(p string) string { return k.p + "hist/" + p + "\x00" }
func (k keys) historyAt(p string, seq uint64) string {
	return string(binary.BigEndian.AppendUint64([]byte(k.history(p)), seq))
}

func (k keys) refs() string              { return k.p + "ref/" }
func (k keys) ref(addr []byte) string    { return k.refs() + hex.EncodeToString(addr) }
func (k keys) orphans() string           { return k.p + "orphan/" }
func (k keys) orphan(addr []byte) string { return k.orphans() + hex.EncodeToString(addr) }

// Sync records (docs/vault-sync.md): the Merkle buckets and root over the ver/ keys, the
// pruned set, an untrusted vault's block lists and its sealed policy.
func (k keys) merkle() string               { return k.p + "mk/" }
func (k keys) merkleBucket(b byte) string   { return k.merkle() + hex.EncodeToString([]byte{b}) }
func (k keys) merkleRoot() string           { return k.p + "mkroot" }
func (k keys) versionBucket(b byte) string  { return k.versions() + hex.EncodeToString([]byte{b}) }
func (k keys) prunedSet() string            { return k.p + "pruned/" }
func (k keys) prunedBucket(b byte) string   { return k.prunedSet() + hex.EncodeToString([]byte{b}) }
func (k keys) pruned(addr []byte) string    { return k.prunedSet() + hex.EncodeToString(addr) }
func (k keys) blockLists() string           { return k.p + "blk/" }
func (k keys) blockList(addr []byte) string { return k.blockLists() + hex.EncodeToString(addr) }
func (k keys) sealedPolicy() string         { return k.p + "spolicy" }

// The last scrub and pull reports (JSON: messages.ScrubRecord, messages.PullRecord).
func (k keys) scrub() string    { return k.p + "scrub" }
func (k keys) lastPull() string { return k.p + "lastpull" }

func (k keys) types() string              { return k.p + "stat/type/" }
func (k keys) authors() string            { return k.p + "stat/author/" }
func (k keys) days() string               { return k.p + "stat/day/" }
func (k keys) statType(ct string) string  { return k.types() + ct }
func (k keys) statAuthor(a string) string { return k.authors() + a }
func (k keys) statDay(day string) string  { return k.days() + day }

// txn stages one step's catalog changes: reads see the step's own writes first, and the
// writes come out sorted by key, so the output never depends on map order.
type txn struct {
	v       persist.View
	pending map[string][]byte   // nil value: deleted
	groups  map[string][]string // pending keys with a NUL, by their prefix up to it: one path's history keys
}

func newTxn(v persist.View) *txn {
	return &txn{v: v, pending: map[string][]byte{}, groups: map[string][]string{}}
}

func (t *txn) get(key string) ([]byte, bool) {
	if val, ok := t.pending[key]; ok {
		return val, val != nil
	}
	return t.v.Get(persist.Catalog, key)
}

func (t *txn) put(key string, val []byte) { t.stage(key, val) }
func (t *txn) del(key string)             { t.stage(key, nil) }

func (t *txn) stage(key string, val []byte) {
	if _, seen := t.pending[key]; !seen {
		if i := strings.IndexByte(key, 0); i >= 0 {
			t.groups[key[:i+1]] = append(t.groups[key[:i+1]], key)
		}
	}
	t.pending[key] = val
}

// load reads key into m; false when it is missing. An unreadable record is a storage fault.
func (t *txn) load(key string, m proto.Message) bool {
	raw, ok := t.get(key)
	if !ok {
		return false
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		panic(fmt.Errorf("vault: decode %s: %w", key, err)) // the host restarts the actor
	}
	return true
}

func (t *txn) store(key string, m proto.Message) { t.put(key, marshal(m)) }

// kv is one record a scan found.
type kv struct {
	key string
	val []byte
}

// scanAll returns every record under prefix, the step's own writes included, in key order.
// Only for small prefixes (one path's history).
func (t *txn) scanAll(prefix string) []kv {
	seen := map[string]bool{}
	var out []kv
	t.v.Scan(persist.Catalog, prefix, "", func(k string, v []byte) bool {
		seen[k] = true
		if val, ok := t.pending[k]; ok {
			if val != nil {
				out = append(out, kv{k, val})
			}
			return true
		}
		out = append(out, kv{k, slices.Clone(v)})
		return true
	})
	staged := func(k string, val []byte) {
		if !seen[k] && val != nil && strings.HasPrefix(k, prefix) {
			out = append(out, kv{k, val})
		}
	}
	if i := strings.IndexByte(prefix, 0); i == len(prefix)-1 { // one path's history: its group holds every staged key
		for _, k := range t.groups[prefix] {
			staged(k, t.pending[k])
		}
	} else {
		for k, val := range t.pending {
			staged(k, val)
		}
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	return out
}

// writes returns the staged changes in key order.
func (t *txn) writes() []persist.Write {
	ks := make([]string, 0, len(t.pending))
	for k := range t.pending {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	out := make([]persist.Write, 0, len(ks))
	for _, k := range ks {
		if v := t.pending[k]; v == nil {
			out = append(out, persist.Write{Bucket: persist.Catalog, Key: k, Delete: true})
		} else {
			out = append(out, persist.Write{Bucket: persist.Catalog, Key: k, Value: v})
		}
	}
	return out
}

// marshal encodes deterministically: a version's address depends on its bytes.
func marshal(m proto.Message) []byte { return storev1.Marshal(m) }

func uint64BE(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func uint64Bytes(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }
