package host

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// Batch is what a host hands the committer: one entity's staged writes and numbered events.
type Batch struct {
	ID      uint64
	Entity  string
	Writes  []persist.Write
	Events  []*eventv1.Event // log_seq is assigned by the committer
	ReplyTo *actor.PID
}

// Committed tells a host that its batch ID is durable and its events published.
type Committed struct {
	ID uint64
}

// CommitFailed tells a host that batch ID is not durable: nothing of it was applied.
type CommitFailed struct {
	ID  uint64
	Err error
}

// Flush asks the committer to commit everything queued before it, then reply Flushed.
type Flush struct{}

// Flushed answers Flush.
type Flushed struct{ LogSeq uint64 }

// errStore marks a failure to read or write the store; the supervisor restarts the actor, which
// reloads from what is durable.
type errStore struct{ err error }

func (e errStore) Error() string { return "host: storage: " + e.err.Error() }
func (e errStore) Unwrap() error { return e.err }

// IsStorageFailure reports whether a panic reason came from the store (for supervision).
func IsStorageFailure(reason any) bool {
	err, ok := reason.(error)
	var es errStore
	return ok && errors.As(err, &es)
}
