// Package host is the one place a pure core meets protoactor: it runs every core the same way,
// as a pipeline that never blocks Receive. A core's writes are staged in an overlay that later
// steps see; everything pending goes to the node's committer as one batch; once it is durable
// the committer publishes the events and the host arms timers and sends replies, in that order.
package host

import (
	"time"

	"github.com/meshhold/meshhold/persist"
)

// Core is a deterministic state machine: the same records, state and (now, msg) give the same
// Output. It reads only its own records through view and never touches clocks, goroutines,
// global randomness or other I/O.
type Core interface {
	Step(now time.Time, msg any, view persist.View) Output
}

// Load builds a core's small state from its committed records, at start and after a restart.
type Load func(entity string, view persist.View) (Core, error)

// Output is everything one Step asks for. Effects happen in a fixed order once Writes and
// Events are durable: publish events (by the committer), arm timers, send the reply.
type Output struct {
	Writes []persist.Write
	Events []Event
	Timers []Timer
	// Cancel names timers to disarm.
	Cancel []string
	// Reply answers the message's sender; an error value is a domain error for the caller.
	Reply any
	// Immediate sends a write-free step's reply at once, even while earlier writes are not yet
	// durable: for answers a later command re-checks anyway (an upload's admission), which need
	// not wait for a commit cycle.
	Immediate bool
}

// Event is a fact a core reports; the host numbers it (seq per entity) and the committer gives
// it its node-wide log_seq. Data is marshalled to a JSON object.
type Event struct {
	Type string
	Data any
}

// Timer asks for Wake{Key} at At; arming a key again replaces the earlier timer. Timers are not
// persisted: a core re-arms them when it receives Recovered.
type Timer struct {
	Key string
	At  time.Time
}

// Wake is delivered when a Timer fires.
type Wake struct{ Key string }

// Recovered is the first message a core sees after every load, so it can re-arm its timers.
type Recovered struct{}
