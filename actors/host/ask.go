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
	var zero R
	d := limit
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	if d <= 0 {
		return zero, context.DeadlineExceeded
	}
	res, err := root.RequestFuture(pid, msg, d).Result()
	switch {
	case errors.Is(err, actor.ErrTimeout), errors.Is(err, actor.ErrDeadLetter):
		return zero, fmt.Errorf("%w: %T got no answer: %v", messages.ErrUnavailable, msg, err)
	case err != nil:
		return zero, err
	}
	switch r := res.(type) {
	case R:
		return r, nil
	case error:
		return zero, r
	case *actor.DeadLetterResponse:
		return zero, fmt.Errorf("%w: %T reached no actor", messages.ErrUnavailable, msg)
	default:
		return zero, fmt.Errorf("host: %T got an unexpected reply %T", msg, res)
	}
}
