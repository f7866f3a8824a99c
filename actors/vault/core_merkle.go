package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// merkle is a vault's Merkle summary over the addresses of its retained versions (the ver/
// keys): 256 buckets by the address's first byte, each the SHA-256 of its sorted addresses,
// and the root over the 256 (messages.BucketHash, messages.MerkleRoot). It is stored in
// mk/<bucket hex> (non-empty buckets only) and mkroot (absent while the vault has no version),
// rewritten in the same writes as every ver/ insert or delete, and cached in the core.
type merkle struct {
	buckets [messages.SyncBuckets][32]byte
	root    [32]byte
}

// emptyMerkle is the summary of a vault without versions.
func emptyMerkle() *merkle {
	m := &merkle{}
	for i := range m.buckets {
		m.buckets[i] = messages.EmptyBucketHash
	}
	m.root = messages.MerkleRoot(&m.buckets)
	return m
}

// loadMerkle reads the stored bucket hashes. A vault whose ver/ keys have no summary yet (its
// catalog predates sync) gets one computed from a scan of its ver/ keys, returned as writes.
func loadMerkle(v persist.View, k keys) (*merkle, []persist.Write) {
	m := emptyMerkle()
	v.Scan(persist.Catalog, k.merkle(), "", func(key string, val []byte) bool {
		b, err := hex.DecodeString(strings.TrimPrefix(key, k.merkle()))
		if err == nil && len(b) == 1 && len(val) == 32 {
			m.buckets[b[0]] = [32]byte(val)
		}
		return true
	})
	if _, ok := v.Get(persist.Catalog, k.merkleRoot()); ok || !hasPrefix(v, k.versions()) {
		m.root = messages.MerkleRoot(&m.buckets)
		return m, nil
	}
	byBucket := map[byte][]messages.VersionAddr{}
	v.Scan(persist.Catalog, k.versions(), "", func(key string, _ []byte) bool {
		if a, ok := versionAddrOf(strings.TrimPrefix(key, k.versions())); ok {
			byBucket[a[0]] = append(byBucket[a[0]], a)
		}
		return true
	})
	var writes []persist.Write
	for _, b := range slices.Sorted(maps.Keys(byBucket)) {
		m.buckets[b] = messages.BucketHash(byBucket[b]) // a scan yields them sorted
		writes = append(writes, persist.Write{Bucket: persist.Catalog, Key: k.merkleBucket(b), Value: slices.Clone(m.buckets[b][:])})
	}
	m.root = messages.MerkleRoot(&m.buckets)
	return m, append(writes, persist.Write{Bucket: persist.Catalog, Key: k.merkleRoot(), Value: slices.Clone(m.root[:])})
}

// hasPrefix reports whether any record starts with prefix.
func hasPrefix(v persist.View, prefix string) bool {
	found := false
	v.Scan(persist.Catalog, prefix, "", func(string, []byte) bool {
		found = true
		return false
	})
	return found
}

// putVersion stores a version record and marks its Merkle bucket for the step's end.
func (ch *change) putVersion(addr, sealed []byte) {
	ch.tx.put(ch.c.keys.version(addr), sealed)
	ch.verDelta[messages.VersionAddr(addr)] = true
}

// delVersion deletes a version record and marks its Merkle bucket.
func (ch *change) delVersion(addr []byte) {
	ch.tx.del(ch.c.keys.version(addr))
	ch.verDelta[messages.VersionAddr(addr)] = false
}

// hasVersion reports whether addr is retained, this step's changes included.
func (ch *change) hasVersion(addr []byte) bool {
	_, ok := ch.tx.get(ch.c.keys.version(addr))
	return ok
}

// isPruned reports whether addr is in the pruned set, this step's changes included.
func (ch *change) isPruned(addr []byte) bool {
	_, ok := ch.tx.get(ch.c.keys.pruned(addr))
	return ok
}

// addPruned puts addr in the pruned set (stamped now); false when it already was.
func (ch *change) addPruned(addr []byte) bool {
	if ch.isPruned(addr) {
		return false
	}
	ch.tx.put(ch.c.keys.pruned(addr), uint64Bytes(uint64(ch.ms)))
	ch.usage.Pruned++
	ch.learned++
	return true
}

// updateMerkle recomputes the buckets the step's ver/ changes touched, each from a scan of its
// ver/ keys, then the root, and stages their records; the core adopts the result in done.
func (ch *change) updateMerkle() {
	if len(ch.verDelta) == 0 {
		return
	}
	k := ch.c.keys
	next := *ch.c.mk
	touched := map[byte][]messages.VersionAddr{}
	for a := range ch.verDelta {
		touched[a[0]] = append(touched[a[0]], a)
	}
	for _, b := range slices.Sorted(maps.Keys(touched)) {
		var adds []messages.VersionAddr
		dels := map[messages.VersionAddr]bool{}
		for _, a := range touched[b] {
			if ch.verDelta[a] {
				adds = append(adds, a)
			} else {
				dels[a] = true
			}
		}
		slices.SortFunc(adds, compareAddr)
		h, n := ch.hashBucket(b, adds, dels)
		if n == 0 {
			next.buckets[b] = messages.EmptyBucketHash
			ch.tx.del(k.merkleBucket(b))
			continue
		}
		next.buckets[b] = h
		ch.tx.put(k.merkleBucket(b), slices.Clone(h[:]))
	}
	next.root = messages.MerkleRoot(&next.buckets)
	if next.root == emptyRoot {
		ch.tx.del(k.merkleRoot())
	} else {
		ch.tx.put(k.merkleRoot(), slices.Clone(next.root[:]))
	}
	ch.mk = &next
	clear(ch.verDelta)
}

// hashBucket streams bucket b's addresses — its ver/ keys in the view, without dels, with adds
// (sorted) merged in order — into messages.BucketHash's hash; it returns the hash and count.
func (ch *change) hashBucket(b byte, adds []messages.VersionAddr, dels map[messages.VersionAddr]bool) ([32]byte, int) {
	k := ch.c.keys
	h := sha256.New()
	n := 0
	write := func(a messages.VersionAddr) {
		h.Write(a[:])
		n++
	}
	ch.tx.v.Scan(persist.Catalog, k.versionBucket(b), "", func(key string, _ []byte) bool {
		a, ok := versionAddrOf(key[len(k.versions()):])
		if !ok || dels[a] {
			return true
		}
		for len(adds) > 0 && compareAddr(adds[0], a) <= 0 {
			if adds[0] != a {
				write(adds[0])
			}
			adds = adds[1:]
		}
		write(a)
		return true
	})
	for _, a := range adds {
		write(a)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out, n
}

// emptyRoot is the root of a vault without versions.
var emptyRoot = emptyMerkle().root

func compareAddr(a, b messages.VersionAddr) int { return slices.Compare(a[:], b[:]) }

// versionAddrOf parses the 64 hex characters of a ver/ or pruned/ key's end.
func versionAddrOf(s string) (messages.VersionAddr, bool) {
	var a messages.VersionAddr
	if len(s) != 64 {
		return a, false
	}
	_, err := hex.Decode(a[:], []byte(s))
	return a, err == nil
}
