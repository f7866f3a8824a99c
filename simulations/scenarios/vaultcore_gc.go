package scenarios

import (
	"context"
	"fmt"

	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
)

// gcCatalog is the daemon's collector catalog (vault.GCCatalog, a read model over committed
// records) whose Forget, a write, is a step of the vault core instead of an actor ask.
type gcCatalog struct {
	vault.GCCatalog
	w *world
}

// Forget steps ForgetOrphans on the vault.
func (g gcCatalog) Forget(_ context.Context, vaultID string, addrs []messages.BlockAddr) error {
	reply, ok := g.w.deliver(messages.VaultKind+"/"+vaultID, messages.ForgetOrphans{Addrs: addrs})
	if !ok {
		return errCrashed
	}
	if err, isErr := reply.(error); isErr {
		return fmt.Errorf("forget orphans: %w", err)
	}
	return nil
}

// load loads entity's core (as the daemon does for its vaults at start) unless it runs.
func (w *world) load(entity string) {
	if !w.down && w.err == nil {
		w.slot(entity)
	}
}

func ctx() context.Context { return context.Background() }
