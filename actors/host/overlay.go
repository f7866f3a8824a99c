package host

import (
	"sort"
	"strings"

	"github.com/meshhold/meshhold/persist"
)

type recordKey struct {
	bucket persist.Bucket
	key    string
}

// overlay is a core's view: the entity's staged (not yet durable) writes over a snapshot of
// the committed store. The snapshot is opened on first use and released after the Step.
type overlay struct {
	store  persist.Store
	snap   persist.Snapshot
	err    error
	staged map[recordKey]*persist.Write
}

func (o *overlay) base() persist.View {
	if o.snap == nil && o.err == nil {
		o.snap, o.err = o.store.Snapshot()
	}
	if o.err != nil {
		panic(errStore{o.err}) // a store that cannot be read: restart and reload
	}
	return o.snap
}

func (o *overlay) release() {
	if o.snap != nil {
		o.snap.Release()
		o.snap = nil
	}
}

func (o *overlay) Get(b persist.Bucket, key string) ([]byte, bool) {
	if w, ok := o.staged[recordKey{b, key}]; ok {
		return w.Value, !w.Delete
	}
	return o.base().Get(b, key)
}

// Scan merges the committed keys with the staged ones in byte order.
func (o *overlay) Scan(b persist.Bucket, prefix, after string, fn func(string, []byte) bool) {
	var staged []*persist.Write
	for k, w := range o.staged {
		if k.bucket == b && strings.HasPrefix(k.key, prefix) && (after == "" || k.key > after) {
			staged = append(staged, w)
		}
	}
	if len(staged) == 0 {
		o.base().Scan(b, prefix, after, fn)
		return
	}
	sort.Slice(staged, func(i, j int) bool { return staged[i].Key < staged[j].Key })
	i, stopped := 0, false
	emit := func(w *persist.Write) bool { return w.Delete || fn(w.Key, w.Value) }
	o.base().Scan(b, prefix, after, func(k string, v []byte) bool {
		for ; i < len(staged) && staged[i].Key < k; i++ {
			if !emit(staged[i]) {
				stopped = true
				return false
			}
		}
		if i < len(staged) && staged[i].Key == k {
			w := staged[i]
			i++
			if !emit(w) {
				stopped = true
				return false
			}
			return true
		}
		if !fn(k, v) {
			stopped = true
			return false
		}
		return true
	})
	for ; !stopped && i < len(staged); i++ {
		if !emit(staged[i]) {
			return
		}
	}
}

func (o *overlay) stage(ws []persist.Write) {
	for i := range ws {
		o.staged[recordKey{ws[i].Bucket, ws[i].Key}] = &ws[i]
	}
}
