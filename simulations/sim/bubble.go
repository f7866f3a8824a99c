package sim

import (
	"slices"
	"sync/atomic"
	"testing/synctest"
	"time"
)

// Bubble drives a whole-node simulation from inside a testing/synctest bubble: it runs lane
// turns one at a time, events at their virtual times, and client asks on goroutines of their
// own, and hands every completed ask back in the order the asks started. Everything it calls
// runs on the bubble's main goroutine, so what it observes is fixed by the seed.
type Bubble struct {
	Lanes *Lanes
	// OnTurn, if set, runs after every turn (trace it, check invariants).
	OnTurn func(group, name string)
	// Net, if set, is a network that delivers its frames when Run steps it (p2p/memnet): one
	// frame per synctest.Wait, when no turn is ready.
	Net    Net
	events Queue[func()]
	asks   []*ask
}

type ask struct {
	done atomic.Bool
	res  any
	err  error
	then func(any, error)
}

// At runs fn at virtual time at (at once when it is past).
func (b *Bubble) At(at time.Time, fn func()) { b.events.Push(at, fn) }

// After runs fn d from now.
func (b *Bubble) After(d time.Duration, fn func()) { b.At(time.Now().Add(d), fn) }

// Go runs fn on a goroutine of its own (a client blocked in an ask) and returns once fn has
// blocked or ended, so two asks never send at once; then gets fn's result, on the bubble's
// goroutine, once it ends.
func (b *Bubble) Go(fn func() (any, error), then func(any, error)) {
	a := &ask{then: then}
	b.asks = append(b.asks, a)
	go func() {
		a.res, a.err = fn()
		a.done.Store(true)
		b.Lanes.Kick()
	}()
	synctest.Wait()
}

// Pending counts the asks not yet completed.
func (b *Bubble) Pending() int { return len(b.asks) }

// collect hands completed asks to their callbacks in start order; it reports whether any was.
func (b *Bubble) collect() bool {
	var done []*ask
	kept := b.asks[:0]
	for _, a := range b.asks {
		if a.done.Load() {
			done = append(done, a)
		} else {
			kept = append(kept, a)
		}
	}
	b.asks = kept
	for _, a := range done {
		if a.then != nil {
			a.then(a.res, a.err)
		}
	}
	return len(done) > 0
}

// Net is a network the harness pumps: Step delivers the next frame if it is due, Next tells
// when the next one is.
type Net interface {
	Step() bool
	Next() (time.Time, bool)
}

// Run turns lanes, fires events and collects asks until done reports true while nothing is
// ready, no event is due and no ask is pending; it also returns when nothing is left to wait
// for (no ask pending, no event queued). It sleeps in virtual time to the next event, waking
// early when a lane gets work (a timer fired) or an ask completes.
func (b *Bubble) Run(done func() bool) {
	for {
		synctest.Wait()
		if b.collect() {
			continue
		}
		if g, name, ok := b.Lanes.RunOne(); ok {
			if b.OnTurn != nil {
				b.OnTurn(g, name)
			}
			continue
		}
		if b.Net != nil && b.Net.Step() {
			continue
		}
		now := time.Now()
		next, has := b.events.Next()
		if has && !next.After(now) {
			_, fn, _ := b.events.Pop()
			fn()
			continue
		}
		if b.Net != nil {
			if at, ok := b.Net.Next(); ok && (!has || at.Before(next)) {
				next, has = at, true
			}
		}
		if len(b.asks) == 0 && (done() || !has) {
			return
		}
		wait := time.Second // an ask is pending: its timeout will wake us
		if has {
			wait = next.Sub(now)
		}
		t := time.NewTimer(wait)
		select {
		case <-b.Lanes.Woken():
		case <-t.C:
		}
		t.Stop()
	}
}

// Drain turns lanes until done is closed: a node's Stop runs on its own goroutine while its
// actors keep taking turns.
func (b *Bubble) Drain(done <-chan struct{}) {
	for {
		synctest.Wait()
		b.collect()
		if _, _, ok := b.Lanes.RunOne(); ok {
			continue
		}
		select {
		case <-done:
			return
		case <-b.Lanes.Woken():
		case <-time.After(time.Millisecond):
		}
	}
}

// End lets the bubble end after a play, failed or not: it kills every lane, waits in virtual
// time until every pending ask has returned (each has a time limit) without running its
// callback, then a minute more for timer goroutines (protoactor's dead-letter throttle), so
// no goroutine outlives the bubble and a failure is reported instead of synctest's deadlock.
func (b *Bubble) End() {
	b.Lanes.KillAll()
	for {
		synctest.Wait()
		b.asks = slices.DeleteFunc(b.asks, func(a *ask) bool { return a.done.Load() })
		if len(b.asks) == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(time.Minute)
	synctest.Wait()
}
