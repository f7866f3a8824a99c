package scenarios

import (
	"errors"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// check runs the durable-state invariants (checkDurable) on the running node's stores.
func (s *nodeSim) check(afterCommit bool) {
	if s.err != nil || s.down {
		return
	}
	if err := checkDurable(s.store, s.blocks, s.m, afterCommit); err != nil {
		s.fail("%v", err)
	}
}

// readBackAll asks for every live acknowledged version, one after the other, and reads its
// blocks; then is told whether all of them read back identical (false: a crash cut it short).
func (s *nodeSim) readBackAll(then func(bool)) {
	addrs, boot := s.m.live(), s.boot
	var next func(i int)
	next = func(i int) {
		if s.boot != boot || s.down || s.err != nil {
			then(false)
			return
		}
		if i == len(addrs) {
			then(len(addrs) > 0)
			return
		}
		v := s.m.acked[addrs[i]]
		s.ask("check", s.vaults, vaultID, messages.OpenVersion{Path: v.path, ContentHash: addrs[i]}, func(reply any) {
			if s.boot != boot || s.down {
				then(false)
				return
			}
			s.readReply(addrs[i], v, reply)
			next(i + 1)
		})
	}
	next(0)
}

// readReply checks an OpenVersion answer for an acknowledged version by reading its blocks;
// an unavailable node (paused, restarting) is no verdict.
func (s *nodeSim) readReply(addr string, v *ackedVersion, reply any) {
	r, ok := reply.(messages.Readable)
	if !ok {
		err := asError(reply)
		if err != nil && (isUnavailable(err) || isStorage(err)) {
			return
		}
		if errors.Is(err, messages.ErrNotFound) && s.m.pruned[addr] {
			// Retention pruned it, durably, after the client picked it: a commit whose
			// reply was lost (the client's ask timed out while the node was paused) can
			// land between the pick and the read.
			sim.Sometimes("a read raced a prune")
			return
		}
		s.fail("acknowledged version %.12s of %s does not open: %v", addr, v.path, reply)
		return
	}
	body, err := readBody(s.blocks, r)
	if err := v.same(body, err); err != nil {
		s.fail("acknowledged version %.12s of %s: %v", addr, v.path, err)
	}
}
