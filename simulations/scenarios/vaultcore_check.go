package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/simulations/sim"
)

// checkDurable runs the invariants on committed state: the catalog agrees with itself
// (vault.CheckInvariants), every acknowledged version not pruned by a durable step is there,
// and every referenced block is readable and intact — and, right after a commit (when nothing
// has touched the block store since its sync), durable.
func checkDurable(store persist.Store, blocks *memblocks.Store, m *model, afterCommit bool) error {
	snap, err := store.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, vaultKey); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	prefix := "vault/" + vaultID + "/"
	for _, addr := range m.order {
		if m.pruned[addr] {
			continue
		}
		if _, ok := snap.Get(persist.Catalog, prefix+"ver/"+addr); !ok {
			return fmt.Errorf("acknowledged version %.12s of %s is lost", addr, m.acked[addr].path)
		}
	}
	snap.Scan(persist.Catalog, prefix+"ref/", "", func(k string, _ []byte) bool {
		a, perr := persist.ParseAddress(strings.TrimPrefix(k, prefix+"ref/"))
		switch {
		case perr != nil:
			err = fmt.Errorf("ref key %q: %w", k, perr)
		case afterCommit && !blocks.Durable(a):
			err = fmt.Errorf("block %.12s is referenced by a committed version but not durable", a)
		default:
			if _, gerr := blocks.Get(a); gerr != nil {
				err = fmt.Errorf("block %.12s is referenced by a committed version: %w", a, gerr)
			}
		}
		return err == nil
	})
	return err
}

// check runs checkDurable right after a commit.
func (w *world) check() { w.checkState(true) }

func (w *world) checkState(afterCommit bool) {
	if w.err != nil || w.down {
		return
	}
	if err := checkDurable(w.store, w.blocks, w.m, afterCommit); err != nil {
		w.fail("%v", err)
	}
}

// readBackAll opens and reads every acknowledged version that is not pruned and not a
// tombstone; it reports whether it read at least one, and every one was identical.
func (w *world) readBackAll() bool {
	n := 0
	for _, addr := range w.m.live() {
		if !w.readBack(addr, w.m.acked[addr], nil) {
			return false
		}
		n++
	}
	return n > 0
}

// readBack reads one acknowledged version as a download would; damage, if set, injects a read
// fault into one of its blocks, which the read must report.
func (w *world) readBack(addr string, v *ackedVersion, damage func(messages.Readable) bool) bool {
	reply, ok := w.deliver(vaultEntity, messages.OpenVersion{Path: v.path, ContentHash: addr})
	if !ok {
		return false
	}
	r, isReadable := reply.(messages.Readable)
	if err, _ := reply.(error); errors.Is(err, messages.ErrUnavailable) {
		// The core waits for its supervisor after a failed commit: no verdict.
		w.record(vaultEntity, 0, "read", "unavailable", nil)
		return false
	}
	if !isReadable {
		w.fail("acknowledged version %.12s of %s does not open: %v", addr, v.path, reply)
		return false
	}
	damaged := damage != nil && damage(r)
	body, err := readBody(w.blocks, r)
	if damaged {
		w.blocks.Faults().HealReads()
		if err == nil {
			w.fail("version %.12s of %s: a damaged block was read without an error", addr, v.path)
			return false
		}
		sim.Sometimes("read fault reported")
		w.record(vaultEntity, 0, "read", "error", err)
		return true
	}
	if err := v.same(body, err); err != nil {
		w.fail("acknowledged version %.12s of %s: %v", addr, v.path, err)
		return false
	}
	w.record(vaultEntity, 0, "read", "ok", body)
	return true
}
