package node

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
)

// Fatal marks a failure that a restart cannot mend (a corrupt record, a broken invariant):
// the actor is stopped instead of restarted, and its requests get 503 until the node restarts.
type Fatal struct{ Err error }

func (f Fatal) Error() string { return "fatal: " + f.Err.Error() }
func (f Fatal) Unwrap() error { return f.Err }

// Decide is the one supervision policy: stop on Fatal, restart on anything else (a storage
// failure or a bug), escalating never.
func Decide(reason any) actor.Directive {
	if err, ok := reason.(error); ok {
		var fatal Fatal
		if errors.As(err, &fatal) {
			return actor.StopDirective
		}
	}
	return actor.RestartDirective
}

// Backoff restarts a failed child one-for-one after a delay that doubles with each failure
// inside Window (from Initial up to Max), and stops it after MaxRetries failures in Window.
type Backoff struct {
	Initial, Max time.Duration
	Window       time.Duration
	MaxRetries   int
	Logger       *slog.Logger
}

// DefaultBackoff is the daemon's policy: 10 ms, 20 ms … up to 5 s; 20 failures in a minute stop.
func DefaultBackoff(log *slog.Logger) *Backoff {
	return &Backoff{Initial: 10 * time.Millisecond, Max: 5 * time.Second, Window: time.Minute, MaxRetries: 20, Logger: log}
}

var _ actor.SupervisorStrategy = (*Backoff)(nil)

// HandleFailure applies Decide with backoff; the failing child's mailbox stays suspended (its
// callers wait or time out) until the restart.
func (b *Backoff) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason any, _ any) {
	if Decide(reason) == actor.StopDirective {
		b.Logger.Error("actor stopped", "actor", child.Id, "reason", reason)
		sup.StopChildren(child)
		return
	}
	if rs.NumberOfFailures(b.Window) == 0 {
		rs.Reset()
	}
	rs.Fail()
	n := rs.FailureCount()
	if n > b.MaxRetries {
		b.Logger.Error("actor keeps failing; stopped", "actor", child.Id, "failures", n, "reason", reason)
		sup.StopChildren(child)
		return
	}
	delay := b.Initial << min(n-1, 20)
	if delay > b.Max || delay <= 0 {
		delay = b.Max
	}
	level := slog.LevelWarn
	if !host.IsStorageFailure(reason) {
		level = slog.LevelError // a panic that is not a storage failure is a bug
	}
	b.Logger.Log(context.Background(), level, "actor failed; restarting", "actor", child.Id, "failures", n, "delay", delay, "reason", reason)
	time.AfterFunc(delay, func() { sup.RestartChildren(child) })
}
