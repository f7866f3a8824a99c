package host

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// To addresses Msg to the child ID of a manager, which spawns it on first use.
type To struct {
	ID  string
	Msg any
}

// ChildProps builds the props of a manager's child; entity is "<kind>/<id>".
type ChildProps func(entity string) *actor.Props

// Manager is a handle on the manager of one kind: its PID, and a directory of the children it
// runs, so that asks reach a running child directly (one hop) instead of through the manager.
type Manager struct {
	PID      *actor.PID
	children sync.Map // id → *actor.PID, written by the manager actor only
}

// Child returns the PID of the running child id, or nil.
func (m *Manager) Child(id string) *actor.PID {
	if pid, ok := m.children.Load(id); ok {
		return pid.(*actor.PID)
	}
	return nil
}

// manager owns the children of one kind: spawns on first use, watches them, and forwards with
// the original sender so the child answers the request directly.
type manager struct {
	kind     string
	props    ChildProps
	handle   *Manager
	children map[string]*actor.PID
	byPID    map[string]string
}

// ManagerProps hosts the manager of kind, publishing its children in handle; opts carry its
// dispatcher and the supervisor of its children.
func ManagerProps(kind string, props ChildProps, handle *Manager, opts ...actor.PropsOption) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{kind: kind, props: props, handle: handle, children: map[string]*actor.PID{}, byPID: map[string]string{}}
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
			m.handle.children.Delete(id)
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
	m.handle.children.Store(id, pid)
	return pid
}
