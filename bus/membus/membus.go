// Package membus is a deterministic, in-memory bus.Bus for simulations and unit tests. It has no
// goroutines: Publish delivers to the matching subscribers on the caller's goroutine, in the order
// they subscribed, with NATS wildcard semantics (bus.Match).
package membus

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/meshhold/meshhold/bus"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("membus: closed")

// Bus is the in-memory bus; the zero value is ready to use.
//
// Publish delivers before it returns, except when it is called while a delivery is already in
// progress — from a handler, or from another goroutine at that moment: then the message is
// queued and delivered, in publish order, by the Publish that is delivering. So every
// subscriber sees messages in publish order and handlers never run concurrently.
type Bus struct {
	mu         sync.Mutex
	subs       []*subscription
	queue      []delivery
	delivering bool
	closed     bool
}

type subscription struct {
	b       *Bus
	pattern string
	fn      func(bus.Msg)
	active  bool // guarded by b.mu
}

type delivery struct {
	subject string
	data    []byte
	to      []*subscription
}

var _ bus.Bus = (*Bus)(nil)

// New returns an empty bus.
func New() *Bus { return &Bus{} }

// Publish delivers a copy of data to every subscriber whose pattern matches subject.
func (b *Bus) Publish(subject string, data []byte) error {
	if !validSubject(subject, false) {
		return fmt.Errorf("membus: publish: invalid subject %q", subject)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	var to []*subscription
	for _, s := range b.subs {
		if bus.Match(s.pattern, subject) {
			to = append(to, s)
		}
	}
	if len(to) == 0 {
		b.mu.Unlock()
		return nil
	}
	b.queue = append(b.queue, delivery{subject: subject, data: data, to: to})
	if b.delivering {
		// Copy now: the caller may reuse data once Publish returns.
		b.queue[len(b.queue)-1].data = append([]byte(nil), data...)
		b.mu.Unlock()
		return nil
	}
	b.delivering = true
	b.mu.Unlock()
	b.drain()
	return nil
}

// drain delivers queued messages until the queue is empty; only one goroutine drains at a time.
func (b *Bus) drain() {
	defer func() {
		b.mu.Lock()
		b.delivering = false
		b.mu.Unlock()
	}()
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.mu.Unlock()
			return
		}
		d := b.queue[0]
		b.queue[0] = delivery{}
		b.queue = b.queue[1:]
		b.mu.Unlock()
		for _, s := range d.to {
			b.mu.Lock()
			active := s.active
			b.mu.Unlock()
			if active {
				s.fn(bus.Msg{Subject: d.subject, Data: append([]byte(nil), d.data...)})
			}
		}
	}
}

// Subscribe registers fn for subjects matching pattern; it sees messages published from now on.
func (b *Bus) Subscribe(pattern string, fn func(bus.Msg)) (bus.Subscription, error) {
	if !validSubject(pattern, true) {
		return nil, fmt.Errorf("membus: subscribe: invalid subject %q", pattern)
	}
	if fn == nil {
		return nil, errors.New("membus: subscribe: nil handler")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	s := &subscription{b: b, pattern: pattern, fn: fn, active: true}
	b.subs = append(b.subs, s)
	return s, nil
}

// Close stops further Publish and Subscribe calls; messages already queued are still delivered.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// Subscribers returns how many subscriptions are active, for tests that check cleanup.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Unsubscribe removes the subscription; no message is delivered to it after Unsubscribe returns
// (unless called from another goroutine while its handler runs). It is idempotent.
func (s *subscription) Unsubscribe() error {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if !s.active {
		return nil
	}
	s.active = false
	for i, o := range b.subs {
		if o == s {
			b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
			break
		}
	}
	return nil
}

// validSubject reports whether s is a well-formed subject; wildcards allows '*' and a final '>'.
func validSubject(s string, wildcards bool) bool {
	if s == "" {
		return false
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return false
		case t == "*" || t == ">":
			if !wildcards || (t == ">" && i != len(tokens)-1) {
				return false
			}
		case strings.ContainsAny(t, " \t\r\n"):
			return false
		}
	}
	return true
}
