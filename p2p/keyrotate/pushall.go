package keyrotate

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// maxParallel bounds the pushes PushAll runs at once.
const maxParallel = 8

// PushAll pushes newKey to every peer connected to t now, a few at a time, and sorts them by
// outcome: pushed are the peers that applied it; failed maps each other peer to why ("held: …"
// for a peer whose operator must accept it first). It is what a daemon's
// MeshControl.PushSwarmKey does.
func PushAll(ctx context.Context, t p2p.Transport, networkID string, newKey swarmkey.Key) (pushed []string, failed map[string]string) {
	peers := t.Peers()
	slices.Sort(peers)
	failed = map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallel)
	for _, p := range peers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := Push(ctx, t, p, networkID, newKey)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				pushed = append(pushed, string(p))
			case errors.Is(err, ErrHeld):
				failed[string(p)] = "held: the peer's operator must accept the new key (POST /networks/rotations/:id/accept on that node)"
			default:
				failed[string(p)] = err.Error()
			}
		}()
	}
	wg.Wait()
	slices.Sort(pushed)
	return pushed, failed
}
