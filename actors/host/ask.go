package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/messages"
)

// Ask sends msg to pid and waits for a reply of type R, bounded by ctx's deadline and by limit.
// A reply that is an error comes back as the error; an actor that is down, restarting or too
// slow gives messages.ErrUnavailable.
func Ask[R any](ctx context.Context, root *actor.RootContext, pid *actor.PID, msg any, limit time.Duration) (R, error) {
	res, err := request(ctx, root, pid, msg, limit)
	if errors.Is(err, errNoActor) {
		err = fmt.Errorf("%w: %T reached no actor", messages.ErrUnavailable, msg)
	}
	return reply[R](msg, res, err)
}

// AskChild asks the child id of m: directly when it runs (one hop), else through the manager,
// which spawns it.
func AskChild[R any](ctx context.Context, root *actor.RootContext, m *Manager, id string, msg any, limit time.Duration) (R, error) {
	if pid := m.Child(id); pid != nil {
		res, err := request(ctx, root, pid, msg, limit)
		if !errors.Is(err, errNoActor) {
			return reply[R](msg, res, err)
		}
		// It stopped meanwhile: the manager knows what to do.
	}
	return Ask[R](ctx, root, m.PID, To{ID: id, Msg: msg}, limit)
}

// errNoActor marks a message that reached no actor (a dead letter).
var errNoActor = errors.New("host: no such actor")

func reply[R any](msg, res any, err error) (R, error) {
	var zero R
	if err != nil {
		return zero, err
	}
	switch r := res.(type) {
	case R:
		return r, nil
	case error:
		return zero, r
	default:
		return zero, fmt.Errorf("host: %T got an unexpected reply %T", msg, res)
	}
}
