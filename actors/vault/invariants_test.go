package vault_test

import (
	"encoding/binary"
	"encoding/hex"
	"maps"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// checkCatalog recomputes what the catalog's counters claim from its versions and paths:
// block reference counts, orphans, usage, history lengths and analytics tallies.
func (r *rig) checkCatalog() {
	r.t.Helper()
	snap, err := r.v.Store.Snapshot()
	if err != nil {
		r.t.Fatal(err)
	}
	defer snap.Release()
	prefix := "vault/" + vaultID + "/"
	rc := vaultcrypt.NewRecordCipher(testKey)
	refs, records := map[string]uint64{}, map[string]uint64{}
	orphans := map[string]bool{}
	var want storev1.VaultUsage
	versions := map[string]bool{}
	histPerPath := map[string]uint64{}
	tallies := map[string][2]int64{}
	snap.Scan(persist.Catalog, prefix, "", func(k string, val []byte) bool {
		rest := strings.TrimPrefix(k, prefix)
		switch {
		case strings.HasPrefix(rest, "ver/"):
			plain, err := rc.Open(val)
			ver := &storev1.Version{}
			if err != nil || proto.Unmarshal(plain, ver) != nil {
				r.t.Fatalf("%s: unreadable version", k)
			}
			versions[strings.TrimPrefix(rest, "ver/")] = true
			want.Bytes += ver.Size
			want.Versions++
			for _, b := range ver.Blocks {
				refs[hex.EncodeToString(b.Addr)]++
			}
		case strings.HasPrefix(rest, "ref/"):
			records[strings.TrimPrefix(rest, "ref/")] = binary.BigEndian.Uint64(val)
		case strings.HasPrefix(rest, "orphan/"):
			orphans[strings.TrimPrefix(rest, "orphan/")] = true
		case strings.HasPrefix(rest, "hist/"):
			path, _, _ := strings.Cut(strings.TrimPrefix(rest, "hist/"), "\x00")
			histPerPath[path]++
			if !versionPresent(snap, prefix, val) {
				r.t.Errorf("%q: history names a missing version %x", k, val)
			}
		case strings.HasPrefix(rest, "path/"):
			e := &storev1.PathEntry{}
			_ = proto.Unmarshal(val, e)
			path := strings.TrimPrefix(rest, "path/")
			if e.Versions != histPerPath[path] {
				r.t.Errorf("%s: entry counts %d versions, history holds %d", path, e.Versions, histPerPath[path])
			}
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
	if !maps.Equal(refs, records) {
		r.t.Errorf("reference counts %v, recomputed from versions %v", records, refs)
	}
	for a := range orphans {
		if refs[a] > 0 {
			r.t.Errorf("block %s is an orphan with %d references", a, refs[a])
		}
	}
	got := r.usage()
	if got.Bytes != want.Bytes || got.Versions != want.Versions || got.Files != want.Files ||
		got.DeletedFiles != want.Deleted || got.Conflicts != want.Conflicts {
		r.t.Errorf("usage %+v, recomputed %+v", got, &want)
	}
	stored := map[string][2]int64{}
	snap.Scan(persist.Catalog, prefix+"stat/", "", func(k string, val []byte) bool {
		if name := strings.TrimPrefix(k, prefix+"stat/"); !strings.HasPrefix(name, "day/") {
			t := &storev1.Tally{}
			_ = proto.Unmarshal(val, t)
			stored[name] = [2]int64{t.Count, t.Bytes}
		}
		return true
	})
	if !maps.Equal(stored, tallies) {
		r.t.Errorf("tallies %v, recomputed %v", stored, tallies)
	}
}

func versionPresent(v persist.View, prefix string, addr []byte) bool {
	_, ok := v.Get(persist.Catalog, prefix+"ver/"+hex.EncodeToString(addr))
	return ok
}
