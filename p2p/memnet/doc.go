// Package memnet is an in-memory p2p.Transport for simulations and tests: streams by protocol,
// gossip topics and peer events between nodes of one Network, with delay, jitter, drop, duplicate,
// reorder, symmetric and one-way partitions, crashes and restarts, all drawn from a seed.
//
// # Delivery
//
// Nothing moves by itself. Every frame — a gossip message, a stream open, chunk, EOF or reset, a
// peer event, a stream deadline or a partition timeout — waits in the network's heap, ordered by
// (deliver-at, channel, sequence in channel), until the harness delivers it: Step delivers the
// next frame if the clock has reached it, Advance and RunUntilIdle deliver in order while moving
// the clock, Next tells a simulator when the next frame is due so it can interleave the network
// with its own events. There are no timers and no goroutines per frame. Run is a convenience pump
// on one goroutine and one timer, for tests that do not need determinism.
//
// The clock is Config.Now (time.Now by default, virtual inside a synctest bubble), never earlier
// than the last frame Advance or RunUntilIdle delivered. A constant Now gives time to the network.
//
// # What runs where
//
// Subscribe and WatchPeers callbacks run on the goroutine that calls Step, outside the network's
// lock: they may publish, open streams and write, but must not block on the network. A delivered
// stream open starts its handler on a new goroutine (one per stream, not per frame); Read blocks
// on a sync.Cond until Step delivers bytes, EOF, a reset or the deadline; Write and OpenStream
// never block (no flow control), so actor turns on the harness goroutine may call them. Never
// Read on the goroutine that drives the network.
//
// # Faults
//
// Gossip goes one hop to every linked peer subscribed at publish time and gets every fault. A
// stream open gets delay, drop (the opener's stream resets) and reorder, never duplicates; once
// open, a stream is a reliable ordered pipe: a chunk that meets a cut stalls its direction, Heal
// resumes it in order, and a stall that lasts Config.Timeout resets both ends. A symmetric
// partition goes unnoticed until Timeout, then the link drops (streams reset, Disconnected
// events); Heal brings it back with Connected events. A one-way cut never drops the link. Crash
// drops every link of a node, resets its streams at both ends and forgets its handlers, topics and
// watchers; Restart brings up a new incarnation relinked to its old peers.
//
// # Determinism
//
// Every random draw and every sequence number belongs to a channel — one gossip link per topic
// (from, to, topic), one direction of one stream, one node's peer events — whose randomness is
// seeded from (seed, channel name) and whose frames are numbered in call order. The trace is
// written only when frames are delivered (in heap order) and by control calls. So the trace, and
// everything delivered, depends on the seed and, for each channel, on the sequence and clock
// values of the calls made on it — not on how calls on different channels interleave across
// goroutines. Inside a synctest bubble goroutines woken at one instant all see that instant, so
// stream handlers racing each other do not change the run, provided each goroutine's own calls
// are deterministic. What can still diverge is code whose calls depend on how deliveries were
// batched (a reader that takes whatever bytes are buffered and writes them back in that shape):
// to keep that deterministic too, the harness delivers one frame per synctest.Wait:
//
//	for {
//		synctest.Wait()     // every goroutine the last frame woke has blocked again
//		if net.Step() {     // (and run the ready actor turns, one at a time, here)
//			continue
//		}
//		next, ok := net.Next()
//		if !ok {
//			break
//		}
//		time.Sleep(time.Until(next)) // virtual time
//	}
//
// Stream ids count opens per (opener, peer, protocol), so two goroutines of one node opening the
// same protocol to the same peer at the same instant, or publishing on the same topic, are the
// one race the channels cannot absorb.
package memnet
