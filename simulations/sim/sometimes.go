package sim

import (
	"maps"
	"slices"
	"sync"
)

// hits is the "sometimes" registry: how often each fault kind or recovery path fired since
// the last Reset. Scenarios of one test binary run one after another, so one registry serves.
var hits = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// Sometimes marks that kind (a fault or a recovery path) happened in this run. A multi-seed
// run fails when a kind its scenario declares was never marked.
func Sometimes(kind string) {
	hits.Lock()
	hits.n[kind]++
	hits.Unlock()
}

// ResetSometimes forgets every mark.
func ResetSometimes() {
	hits.Lock()
	clear(hits.n)
	hits.Unlock()
}

// Hits returns how often each kind was marked since the last reset.
func Hits() map[string]int {
	hits.Lock()
	defer hits.Unlock()
	return maps.Clone(hits.n)
}

// Missing lists the declared kinds never marked since the last reset, sorted.
func Missing(declared []string) []string {
	h := Hits()
	var out []string
	for _, k := range declared {
		if h[k] == 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
