package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/vaultsync"
	"github.com/meshhold/meshhold/persist"
)

// remeasureAfter is how long a measurement of the untrusted holding is trusted; pulls in
// between add what they fetched.
const remeasureAfter = 5 * time.Minute

// holdBudget keeps the block bytes this node stores for untrusted vaults within
// storage.untrusted_budget: before each batch of blocks a pull of an untrusted vault would
// fetch, it compares what is held (measured by walking those vaults' block references, plus
// what pulls fetched since) with the budget, and pauses the pull past it.
type holdBudget struct {
	d     *daemon
	limit int64
	log   *slog.Logger

	mu        sync.Mutex
	used      int64     // bytes held for untrusted vaults at the last measurement, plus pulls since
	measured  time.Time // zero: never
	untrusted map[string]bool
	paused    bool
}

// allow is vaultsync.Puller.Allow: nil for a trusted vault or while the holding (with what this
// pull fetched so far) is under the budget, else vaultsync.ErrHoldPaused.
func (b *holdBudget) allow(vault string, fetched int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	meta, err := host.AskChild[messages.VaultMeta](ctx, b.d.node.Root, b.d.registry, messages.RegistryID, messages.GetVaultMeta{ID: vault}, askLimit)
	if err != nil || !meta.Untrusted {
		return nil // a trusted vault has no budget; an unknown one fails its pull elsewhere
	}
	b.refresh(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.untrusted == nil {
		b.untrusted = map[string]bool{}
	}
	b.untrusted[vault] = true
	if b.used+fetched < b.limit {
		if b.paused {
			b.paused = false
			b.log.Info("replication: untrusted holding is under its budget again: pulls resume", "held", messages.Size(b.used), "budget", messages.Size(b.limit))
		}
		return nil
	}
	if !b.paused {
		b.paused = true
		b.log.Warn("replication: untrusted holding reached storage.untrusted_budget: pulls of untrusted vaults pause", "held", messages.Size(b.used+fetched), "budget", messages.Size(b.limit))
	}
	return fmt.Errorf("%w: %s held for untrusted vaults, storage.untrusted_budget is %s", vaultsync.ErrHoldPaused, messages.Size(b.used+fetched), messages.Size(b.limit))
}

// pulled adds what a finished pull of vault fetched.
func (b *holdBudget) pulled(vault string, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.untrusted[vault] {
		b.used += bytes
	}
}

// note says why an untrusted vault's holding is paused, for GET /vaults/:id/info; "" when it
// is not.
func (b *holdBudget) note(vault string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.paused || !b.untrusted[vault] {
		return ""
	}
	return fmt.Sprintf("this node holds %s for untrusted vaults, at its storage.untrusted_budget of %s: pulling more of this vault is paused", messages.Size(b.used), messages.Size(b.limit))
}

// refresh measures the holding again when the last measurement is stale.
func (b *holdBudget) refresh(ctx context.Context) {
	b.mu.Lock()
	fresh := !b.measured.IsZero() && time.Since(b.measured) < remeasureAfter
	b.mu.Unlock()
	if fresh {
		return
	}
	used, untrusted, err := b.measure(ctx)
	if err != nil {
		b.log.Warn("replication: measure the untrusted holding", "err", err)
		return
	}
	b.mu.Lock()
	b.used, b.measured = used, time.Now()
	b.untrusted = untrusted
	b.mu.Unlock()
}

// measure sums the sizes of the block files the held untrusted vaults reference (a block two
// of them share counts twice: the measure errs on the safe side).
func (b *holdBudget) measure(ctx context.Context) (int64, map[string]bool, error) {
	d := b.d
	list, err := host.AskChild[messages.VaultList](ctx, d.node.Root, d.registry, messages.RegistryID, messages.ListVaults{}, askLimit)
	if err != nil {
		return 0, nil, fmt.Errorf("list vaults: %w", err)
	}
	untrusted := map[string]bool{}
	var used int64
	for _, v := range list.Vaults {
		if !v.Untrusted || !v.Hold {
			continue
		}
		untrusted[v.ID] = true
		var after messages.BlockAddr
		for {
			page, err := host.AskChild[messages.BlockRefs](ctx, d.node.Root, d.vaultMgr, v.ID, messages.ListBlockRefs{After: after, Limit: messages.MaxBlockRefs}, askLimit)
			if err != nil {
				return 0, nil, fmt.Errorf("block references of vault %s: %w", v.ID, err)
			}
			for _, a := range page.Addrs {
				n, ok, err := d.blocks.Size(persist.Address(a))
				if err != nil {
					return 0, nil, err
				}
				if ok {
					used += n
				}
			}
			if !page.More {
				break
			}
			after = page.Next
		}
	}
	return used, untrusted, nil
}
