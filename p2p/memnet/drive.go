package memnet

import (
	"container/heap"
	"context"
	"time"
)

// Next reports when the earliest scheduled frame is due, if there is one.
func (n *Network) Next() (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.frames) == 0 {
		return time.Time{}, false
	}
	return n.frames[0].at, true
}

// Pending is the number of frames scheduled and not yet delivered.
func (n *Network) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.frames)
}

// Step delivers the earliest frame if the network's clock has reached it, and reports whether it
// did. Subscriber and watcher callbacks run on the caller's goroutine before Step returns; a
// delivered stream open starts its handler on a new goroutine.
func (n *Network) Step() bool {
	return n.pop(func(at time.Time) bool { return !at.After(n.nowLocked()) })
}

// Advance delivers, in order, every frame due by to, moving the clock to each frame's time as it
// goes and to to at the end. It returns how many frames it delivered.
func (n *Network) Advance(to time.Time) int {
	k := 0
	for n.pop(func(at time.Time) bool { return !at.After(to) }) {
		k++
	}
	n.mu.Lock()
	if to.After(n.floor) {
		n.floor = to
	}
	n.mu.Unlock()
	return k
}

// RunUntilIdle delivers frames, moving the clock to each, until none is left; it returns how many
// it delivered. It does not return while frames keep causing frames (say, subscribers that always
// answer), nor does it wait for goroutines (stream handlers) to act on what they received.
func (n *Network) RunUntilIdle() int {
	k := 0
	for n.pop(func(time.Time) bool { return true }) {
		k++
	}
	return k
}

// pop delivers the earliest frame if due(at) holds, moving the clock up to it.
func (n *Network) pop(due func(at time.Time) bool) bool {
	n.mu.Lock()
	if len(n.frames) == 0 || !due(n.frames[0].at) {
		n.mu.Unlock()
		return false
	}
	f := heap.Pop(&n.frames).(*frame)
	if f.at.After(n.floor) {
		n.floor = f.at
	}
	after := n.deliver(f)
	n.mu.Unlock()
	for _, fn := range after {
		fn()
	}
	return true
}

// deliver applies one due frame and returns the callbacks to run once the lock is released.
func (n *Network) deliver(f *frame) []func() {
	switch f.kind {
	case kindGossip:
		return n.deliverGossip(f)
	case kindPipe:
		return n.deliverPipe(f)
	case kindStall:
		n.deliverStall(f)
	case kindDeadline:
		n.deliverDeadline(f)
	case kindEvent:
		return n.deliverEvent(f)
	case kindLinkTimeout:
		n.deliverLinkTimeout(f)
	}
	return nil
}

// Run delivers frames as the clock reaches them until ctx ends, sleeping on one timer in between.
// It is a convenience for tests that want delivery in the background and is not deterministic:
// what the network delivers races with what other goroutines send. It needs a clock that moves
// (time.Now, or a synctest bubble's) and must not run alongside Step, Advance or RunUntilIdle.
// Inside a bubble, create the Network inside it too.
func (n *Network) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.kick == nil {
		n.kick = make(chan struct{}, 1)
	}
	kick := n.kick
	n.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		for n.Step() {
		}
		next, ok := n.Next()
		var fire <-chan time.Time
		if ok {
			timer.Reset(next.Sub(n.Now()))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-kick:
		case <-fire:
		}
		timer.Stop()
	}
}
