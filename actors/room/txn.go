package room

import (
	"slices"
	"strings"

	"github.com/meshhold/meshhold/persist"
)

// txn stages one step's changes to persist.Chat. It is itself a persist.View, so a step's later
// checks see its earlier writes (a batch of one sender's envelopes chains against itself), and
// its writes come out sorted by key, so the output never depends on map order.
type txn struct {
	v       persist.View
	pending map[string][]byte // nil value: deleted
}

func newTxn(v persist.View) *txn { return &txn{v: v, pending: map[string][]byte{}} }

func (t *txn) put(key string, val []byte) { t.pending[key] = val }
func (t *txn) del(key string)             { t.pending[key] = nil }

// Get reads key, the step's own writes first.
func (t *txn) Get(b persist.Bucket, key string) ([]byte, bool) {
	if b == persist.Chat {
		if val, ok := t.pending[key]; ok {
			return val, val != nil
		}
	}
	return t.v.Get(b, key)
}

// Scan merges the staged keys under prefix with the view's, in byte order.
func (t *txn) Scan(b persist.Bucket, prefix, after string, fn func(string, []byte) bool) {
	var staged []string
	if b == persist.Chat {
		for k := range t.pending {
			if strings.HasPrefix(k, prefix) && k > after {
				staged = append(staged, k)
			}
		}
	}
	if len(staged) == 0 {
		t.v.Scan(b, prefix, after, fn)
		return
	}
	slices.Sort(staged)
	i, stopped := 0, false
	emit := func(k string) bool {
		if v := t.pending[k]; v != nil {
			return fn(k, v)
		}
		return true
	}
	t.v.Scan(b, prefix, after, func(k string, v []byte) bool {
		for ; i < len(staged) && staged[i] < k; i++ {
			if !emit(staged[i]) {
				stopped = true
				return false
			}
		}
		if i < len(staged) && staged[i] == k {
			i++
			stopped = !emit(k)
			return !stopped
		}
		stopped = !fn(k, v)
		return !stopped
	})
	for ; !stopped && i < len(staged); i++ {
		if !emit(staged[i]) {
			return
		}
	}
}

// writes returns the staged changes in key order.
func (t *txn) writes() []persist.Write {
	ks := make([]string, 0, len(t.pending))
	for k := range t.pending {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	out := make([]persist.Write, 0, len(ks)+1)
	for _, k := range ks {
		if v := t.pending[k]; v == nil {
			out = append(out, persist.Write{Bucket: persist.Chat, Key: k, Delete: true})
		} else {
			out = append(out, persist.Write{Bucket: persist.Chat, Key: k, Value: v})
		}
	}
	return out
}
