package vault

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// CheckInvariants recomputes from a vault's raw records what its catalog's counters and
// indexes claim — block reference counts, orphans, usage, history lengths and seqs, heads and
// the shown head, analytics tallies, the Merkle summary, the pruned set — and returns every
// disagreement (nil: none). An untrusted vault (its registry record says so) is checked
// without opening anything: its block lists stand for the versions' blocks, and it must hold
// no plaintext record at all. Tests and simulations call it on committed state; key is the
// vault's key (ignored for an untrusted vault).
func CheckInvariants(view persist.View, vaultID string, key messages.VaultKey) error {
	meta, _ := readMeta(view, vaultID)
	ck := &checker{k: catalogKeys(vaultID), view: view, untrusted: meta.GetUntrusted(),
		refs: map[string]uint64{}, records: map[string]uint64{}, orphans: map[string]bool{},
		hist: map[string][]string{}, maxSeq: map[string]uint64{}, tallies: map[string][2]int64{},
		paths: map[string]*storev1.PathEntry{}, vers: map[string]*storev1.Version{},
		kept: map[messages.VersionAddr]bool{}, pruned: map[messages.VersionAddr]bool{},
		lists: map[string]bool{}, buckets: map[byte][]byte{}}
	if !ck.untrusted {
		ck.rc = vaultcrypt.NewRecordCipher(key)
	}
	view.Scan(persist.Catalog, ck.k.all(), "", ck.visit)
	ck.checkPaths()
	ck.checkCounts()
	ck.checkSync()
	return errors.Join(ck.errs...)
}

// checker accumulates what one CheckInvariants scan found.
type checker struct {
	k         keys
	view      persist.View
	untrusted bool
	rc        *vaultcrypt.RecordCipher
	errs      []error

	refs, records map[string]uint64 // block refs recomputed from versions, and as recorded
	orphans       map[string]bool
	want          storev1.VaultUsage
	hist          map[string][]string // path → version addrs (hex) in history order
	maxSeq        map[string]uint64
	tallies       map[string][2]int64
	entries       []string
	paths         map[string]*storev1.PathEntry
	vers          map[string]*storev1.Version // addr hex → opened version (trusted)
	kept, pruned  map[messages.VersionAddr]bool
	lists         map[string]bool // blk/ records (addr hex)
	buckets       map[byte][]byte // mk/ records
	root          []byte          // mkroot
}

func (ck *checker) fail(format string, args ...any) {
	ck.errs = append(ck.errs, fmt.Errorf(format, args...))
}

// visit files one record of the vault's catalog.
func (ck *checker) visit(key string, val []byte) bool {
	rest := strings.TrimPrefix(key, ck.k.all())
	name, sub, _ := strings.Cut(rest, "/")
	if ck.untrusted && (name == "path" || name == "hist" || name == "stat" || rest == "keycheck" || rest == "policy") {
		ck.fail("%q: an untrusted vault holds a plaintext or keyed record", key)
		return true
	}
	switch name {
	case "ver":
		ck.version(key, sub, val)
	case "blk":
		if !ck.untrusted {
			ck.fail("%q: a block list on a trusted vault", key)
		}
		ck.lists[sub] = true
		for _, b := range blockAddrs(val) {
			ck.refs[hex.EncodeToString(b[:])]++
		}
		if len(val)%32 != 0 {
			ck.fail("%q: a block list of %d bytes", key, len(val))
		}
	case "pruned":
		if a, ok := versionAddrOf(sub); ok {
			ck.pruned[a] = true
		} else {
			ck.fail("%q: not an address", key)
		}
	case "mk":
		if b, err := hex.DecodeString(sub); err == nil && len(b) == 1 {
			ck.buckets[b[0]] = slices.Clone(val)
		} else {
			ck.fail("%q: not a bucket", key)
		}
	case "mkroot":
		ck.root = slices.Clone(val)
	case "ref":
		ck.records[sub] = uint64BE(val)
	case "orphan":
		ck.orphans[sub] = true
	case "hist":
		path, seqBE, _ := strings.Cut(sub, "\x00")
		ck.hist[path] = append(ck.hist[path], hexOf(val))
		if len(seqBE) == 8 {
			ck.maxSeq[path] = max(ck.maxSeq[path], binary.BigEndian.Uint64([]byte(seqBE)))
		}
		if _, ok := ck.view.Get(persist.Catalog, ck.k.version(val)); !ok {
			ck.fail("%q: history names a missing version %x", key, val)
		}
	case "path":
		ck.path(key, sub, val)
	}
	return true
}

// version checks one ver/ record: its address, and (trusted) its content.
func (ck *checker) version(key, sub string, val []byte) {
	a, ok := versionAddrOf(sub)
	if !ok || messages.VersionAddr(sha256Of(val)) != a {
		ck.fail("%q: the record does not hash to its address", key)
	}
	ck.kept[a] = true
	ck.want.Versions++
	if ck.untrusted {
		return
	}
	ver := &storev1.Version{}
	plain, err := ck.rc.Open(val)
	if err != nil || proto.Unmarshal(plain, ver) != nil {
		ck.fail("%s: unreadable version", key)
		return
	}
	ck.vers[sub] = ver
	ck.want.Bytes += ver.Size
	for _, b := range ver.Blocks {
		ck.refs[hex.EncodeToString(b.Addr)]++
	}
}

func (ck *checker) path(key, path string, val []byte) {
	e := &storev1.PathEntry{}
	if proto.Unmarshal(val, e) != nil {
		ck.fail("%s: unreadable path entry", key)
		return
	}
	ck.entries = append(ck.entries, path)
	ck.paths[path] = e
	if e.Deleted {
		ck.want.Deleted++
	} else {
		ck.want.Files++
		t := ck.tallies["type/"+e.ContentType]
		ck.tallies["type/"+e.ContentType] = [2]int64{t[0] + 1, t[1] + e.Size}
		a := ck.tallies["author/"+e.Author]
		ck.tallies["author/"+e.Author] = [2]int64{a[0] + 1, a[1] + e.Size}
	}
	if len(e.Heads) > 1 {
		ck.want.Conflicts++
	}
}

// checkPaths checks every path entry against its history: counts, seqs, and heads — exactly
// the versions of the path that no version of the path names as a parent — and the shown head,
// the head with the greatest (created_ms, addr).
func (ck *checker) checkPaths() {
	for _, path := range ck.entries {
		e := ck.paths[path]
		hist := ck.hist[path]
		if e.Versions != uint64(len(hist)) {
			ck.fail("%s: entry counts %d versions, history holds %d", path, e.Versions, len(hist))
		}
		if ck.maxSeq[path] > e.LastSeq {
			ck.fail("%s: history seq %d is past the entry's last seq %d: a later version would reuse it", path, ck.maxSeq[path], e.LastSeq)
		}
		parents := map[string]bool{}
		for _, h := range hist {
			ver := ck.vers[h]
			if ver == nil {
				continue
			}
			if ver.Path != path {
				ck.fail("%s: history names version %.12s of %s", path, h, ver.Path)
			}
			if ver.CreatedMs > e.MaxCreatedMs && e.MaxCreatedMs != 0 {
				ck.fail("%s: version %.12s was created at %d, after the entry's max_created_ms %d", path, h, ver.CreatedMs, e.MaxCreatedMs)
			}
			for _, p := range ver.Parents {
				parents[hexOf(p)] = true
			}
		}
		var heads []string
		var shown string
		var shownAt int64
		for _, h := range hist {
			if parents[h] || ck.vers[h] == nil {
				continue
			}
			heads = append(heads, h)
			if at := ck.vers[h].CreatedMs; shown == "" || at > shownAt || at == shownAt && h > shown {
				shown, shownAt = h, at
			}
		}
		slices.Sort(heads)
		if got := hexes(e.Heads); !slices.Equal(got, heads) {
			ck.fail("%s: heads %v, but the versions no version follows are %v", path, got, heads)
		}
		if !containsAddr(e.Heads, e.Head) {
			ck.fail("%s: the shown head %x is not among the heads", path, e.Head)
		} else if shown != "" && hexOf(e.Head) != shown {
			ck.fail("%s: the shown head is %x, the head with the greatest (created_ms, addr) is %s", path, e.Head, shown)
		}
	}
	for path := range ck.hist {
		if ck.paths[path] == nil {
			ck.fail("%s: history without a path entry", path)
		}
	}
}

// checkCounts checks block references, orphans, usage and tallies.
func (ck *checker) checkCounts() {
	if !maps.Equal(ck.refs, ck.records) {
		ck.fail("reference counts %v, recomputed from versions %v", ck.records, ck.refs)
	}
	for a := range ck.orphans {
		if ck.refs[a] > 0 {
			ck.fail("block %s is an orphan with %d references", a, ck.refs[a])
		}
	}
	got := &storev1.VaultUsage{}
	if raw, ok := ck.view.Get(persist.Catalog, ck.k.usage()); ok && proto.Unmarshal(raw, got) != nil {
		ck.fail("unreadable usage record")
	}
	ck.want.Pruned = int64(len(ck.pruned))
	if got.Bytes != ck.want.Bytes || got.Versions != ck.want.Versions || got.Files != ck.want.Files ||
		got.Deleted != ck.want.Deleted || got.Conflicts != ck.want.Conflicts || got.Pruned != ck.want.Pruned {
		ck.fail("usage %v, recomputed %v", usageInfo(got), usageInfo(&ck.want))
	}
	stored := map[string][2]int64{}
	ck.view.Scan(persist.Catalog, ck.k.p+"stat/", "", func(key string, val []byte) bool {
		if name := strings.TrimPrefix(key, ck.k.p+"stat/"); !strings.HasPrefix(name, "day/") {
			t := &storev1.Tally{}
			_ = proto.Unmarshal(val, t)
			stored[name] = [2]int64{t.Count, t.Bytes}
		}
		return true
	})
	if !maps.Equal(stored, ck.tallies) {
		ck.fail("tallies %v, recomputed %v", stored, ck.tallies)
	}
}

// checkSync checks the Merkle records against the ver/ keys, the pruned set against them, and
// an untrusted vault's block lists against its versions.
func (ck *checker) checkSync() {
	byBucket := map[byte][]messages.VersionAddr{}
	for a := range ck.kept {
		byBucket[a[0]] = append(byBucket[a[0]], a)
		if ck.pruned[a] {
			ck.fail("version %s is both retained and pruned", a)
		}
		if ck.untrusted && !ck.lists[a.String()] {
			ck.fail("version %s has no block list", a)
		}
	}
	for a := range ck.lists {
		if v, ok := versionAddrOf(a); !ok || !ck.kept[v] {
			ck.fail("block list %s without its version", a)
		}
	}
	var want [messages.SyncBuckets][32]byte
	for b := range want {
		addrs := byBucket[byte(b)]
		slices.SortFunc(addrs, compareAddr)
		want[b] = messages.BucketHash(addrs)
		got, ok := ck.buckets[byte(b)]
		switch {
		case len(addrs) == 0 && ok:
			ck.fail("merkle bucket %02x is recorded for an empty bucket", b)
		case len(addrs) > 0 && !bytes.Equal(got, want[b][:]):
			ck.fail("merkle bucket %02x is %x, recomputed from its %d versions %x", b, got, len(addrs), want[b])
		}
	}
	root := messages.MerkleRoot(&want)
	switch {
	case len(ck.kept) == 0 && ck.root != nil:
		ck.fail("a merkle root is recorded for a vault without versions")
	case len(ck.kept) > 0 && !bytes.Equal(ck.root, root[:]):
		ck.fail("merkle root %x, recomputed %x", ck.root, root)
	}
}
