package host

import (
	"github.com/asynkron/protoactor-go/actor"
)

// To addresses Msg to the child ID of a manager, which spawns it on first use.
type To struct {
	ID  string
	Msg any
}

// ChildProps builds the props of a manager's child; entity is "<kind>/<id>".
type ChildProps func(entity string) *actor.Props

// manager owns the children of one kind: spawns on first use, watches them, and forwards with
// the original sender so the child answers the request directly.
type manager struct {
	kind     string
	props    ChildProps
	children map[string]*actor.PID
	byPID    map[string]string
}

// ManagerProps hosts the manager of kind; opts carry its dispatcher and the supervisor of its
// children.
func ManagerProps(kind string, props ChildProps, opts ...actor.PropsOption) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{kind: kind, props: props, children: map[string]*actor.PID{}, byPID: map[string]string{}}
	}, opts...)
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case To:
		pid := m.child(ctx, msg.ID)
		if pid == nil {
			return
		}
		ctx.RequestWithCustomSender(pid, msg.Msg, ctx.Sender())
	case *actor.Terminated:
		if id, ok := m.byPID[msg.Who.Id]; ok {
			delete(m.children, id)
			delete(m.byPID, msg.Who.Id)
		}
	}
}

func (m *manager) child(ctx actor.Context, id string) *actor.PID {
	if pid, ok := m.children[id]; ok {
		return pid
	}
	entity := m.kind + "/" + id
	pid, err := ctx.SpawnNamed(m.props(entity), id)
	if err != nil {
		if ctx.Sender() != nil {
			ctx.Respond(err)
		}
		return nil
	}
	ctx.Watch(pid)
	m.children[id], m.byPID[pid.Id] = pid, id
	return pid
}
