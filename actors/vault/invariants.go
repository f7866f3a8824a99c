package vault

import (
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
// indexes claim — block reference counts, orphans, usage, history lengths and seqs, heads,
// analytics tallies — and returns every disagreement (nil: none). Tests and simulations call
// it on committed state; key is the vault's key.
func CheckInvariants(view persist.View, vaultID string, key messages.VaultKey) error {
	k := catalogKeys(vaultID)
	rc := vaultcrypt.NewRecordCipher(key)
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	refs, records := map[string]uint64{}, map[string]uint64{}
	orphans := map[string]bool{}
	var want storev1.VaultUsage
	hist := map[string][]string{} // path → version addrs (hex) in history order
	maxSeq := map[string]uint64{}
	tallies := map[string][2]int64{}
	var entries []string
	paths := map[string]*storev1.PathEntry{}
	view.Scan(persist.Catalog, k.all(), "", func(key string, val []byte) bool {
		rest := strings.TrimPrefix(key, k.all())
		switch {
		case strings.HasPrefix(rest, "ver/"):
			ver := &storev1.Version{}
			plain, err := rc.Open(val)
			if err != nil || proto.Unmarshal(plain, ver) != nil {
				fail("%s: unreadable version", key)
				return true
			}
			want.Bytes += ver.Size
			want.Versions++
			for _, b := range ver.Blocks {
				refs[hex.EncodeToString(b.Addr)]++
			}
		case strings.HasPrefix(rest, "ref/"):
			records[strings.TrimPrefix(rest, "ref/")] = uint64BE(val)
		case strings.HasPrefix(rest, "orphan/"):
			orphans[strings.TrimPrefix(rest, "orphan/")] = true
		case strings.HasPrefix(rest, "hist/"):
			path, seqBE, _ := strings.Cut(strings.TrimPrefix(rest, "hist/"), "\x00")
			hist[path] = append(hist[path], hexOf(val))
			if len(seqBE) == 8 {
				maxSeq[path] = max(maxSeq[path], binary.BigEndian.Uint64([]byte(seqBE)))
			}
			if _, ok := view.Get(persist.Catalog, k.version(val)); !ok {
				fail("%q: history names a missing version %x", key, val)
			}
		case strings.HasPrefix(rest, "path/"):
			e := &storev1.PathEntry{}
			if proto.Unmarshal(val, e) != nil {
				fail("%s: unreadable path entry", key)
				return true
			}
			path := strings.TrimPrefix(rest, "path/")
			entries = append(entries, path)
			paths[path] = e
			if e.Deleted {
				want.Deleted++
			} else {
				want.Files++
				t := tallies["type/"+e.ContentType]
				tallies["type/"+e.ContentType] = [2]int64{t[0] + 1, t[1] + e.Size}
				a := tallies["author/"+e.Author]
				tallies["author/"+e.Author] = [2]int64{a[0] + 1, a[1] + e.Size}
			}
			if len(e.Heads) > 1 {
				want.Conflicts++
			}
		}
		return true
	})
	for _, path := range entries {
		e := paths[path]
		if e.Versions != uint64(len(hist[path])) {
			fail("%s: entry counts %d versions, history holds %d", path, e.Versions, len(hist[path]))
		}
		if maxSeq[path] > e.LastSeq {
			fail("%s: history seq %d is past the entry's last seq %d: a later version would reuse it", path, maxSeq[path], e.LastSeq)
		}
		if !containsAddr(e.Heads, e.Head) {
			fail("%s: the shown head %x is not among the heads", path, e.Head)
		}
		for _, h := range e.Heads {
			if !slices.Contains(hist[path], hexOf(h)) {
				fail("%s: head %x is not in the path's history", path, h)
			}
		}
	}
	for path := range hist {
		if paths[path] == nil {
			fail("%s: history without a path entry", path)
		}
	}
	if !maps.Equal(refs, records) {
		fail("reference counts %v, recomputed from versions %v", records, refs)
	}
	for a := range orphans {
		if refs[a] > 0 {
			fail("block %s is an orphan with %d references", a, refs[a])
		}
	}
	got := &storev1.VaultUsage{}
	if raw, ok := view.Get(persist.Catalog, k.usage()); ok && proto.Unmarshal(raw, got) != nil {
		fail("unreadable usage record")
	}
	if got.Bytes != want.Bytes || got.Versions != want.Versions || got.Files != want.Files ||
		got.Deleted != want.Deleted || got.Conflicts != want.Conflicts {
		fail("usage %v, recomputed %v", usageInfo(got), usageInfo(&want))
	}
	stored := map[string][2]int64{}
	view.Scan(persist.Catalog, k.p+"stat/", "", func(key string, val []byte) bool {
		if name := strings.TrimPrefix(key, k.p+"stat/"); !strings.HasPrefix(name, "day/") {
			t := &storev1.Tally{}
			_ = proto.Unmarshal(val, t)
			stored[name] = [2]int64{t.Count, t.Bytes}
		}
		return true
	})
	if !maps.Equal(stored, tallies) {
		fail("tallies %v, recomputed %v", stored, tallies)
	}
	return errors.Join(errs...)
}
