package scenarios

import (
	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// watchedStore is the node's memstore with its successful commits noted: the last one is held
// back until the next commit or a crash that keeps it, because a torn crash may still drop it.
type watchedStore struct {
	*memstore.Store
	s       *nodeSim
	last    []persist.Write
	commits int
}

// Commit commits, then notes the commit before it as durable for good.
func (w *watchedStore) Commit(writes []persist.Write) error {
	err := w.Store.Commit(writes)
	if err != nil {
		sim.Sometimes("store commit failed")
		if isNoSpace(err) {
			sim.Sometimes("store out of space")
		}
		return err
	}
	w.settle()
	w.last = writes
	w.commits++
	return nil
}

// settle notes the held-back commit in the model.
func (w *watchedStore) settle() {
	if w.last == nil {
		return
	}
	w.s.m.catalog(w.s.fail, w.last)
	for _, wr := range w.last {
		if wr.Bucket != persist.Events || wr.Delete {
			continue
		}
		ev := &eventv1.Event{}
		if err := proto.Unmarshal(wr.Value, ev); err != nil {
			w.s.fail("event log record: %v", err)
			continue
		}
		w.s.m.event(w.s.fail, ev.Entity, ev.Seq, ev.Type, sim.Digest(ev.Data))
		w.s.logSeq(ev)
		noteEvent(ev.Type)
	}
	w.last = nil
}
