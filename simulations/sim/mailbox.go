package sim

import (
	"slices"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// mailbox is a lane's mailbox: one message per turn. protoactor's default mailbox drains every
// message it holds in one turn, including messages other goroutines post while the turn runs —
// a timer armed for a time already reached fires on a goroutine of its own at once — so what a
// turn processes would depend on goroutine timing. Here a turn takes one message, and a post
// during a turn only makes the lane ready again afterwards: the harness then picks the next
// turn after synctest.Wait, from a ready set that no longer depends on timing.
type mailbox struct {
	mu         sync.Mutex
	sys, user  []any
	suspended  bool
	scheduled  bool
	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
}

func newMailbox() actor.Mailbox { return &mailbox{} }

// PostUserMessage queues a message (the parts of a batch too, as protoactor's mailbox does).
func (m *mailbox) PostUserMessage(msg any) {
	if batch, ok := msg.(actor.MessageBatch); ok {
		for _, part := range batch.GetMessages() {
			m.PostUserMessage(part)
		}
	}
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		if batch, ok := env.Message.(actor.MessageBatch); ok {
			for _, part := range batch.GetMessages() {
				m.PostUserMessage(part)
			}
		}
	}
	m.mu.Lock()
	m.user = append(m.user, msg)
	m.mu.Unlock()
	m.schedule()
}

// PostSystemMessage queues a system message; they go before user messages.
func (m *mailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys = append(m.sys, msg)
	m.mu.Unlock()
	m.schedule()
}

// RegisterHandlers sets the actor and the lane.
func (m *mailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker, m.dispatcher = invoker, dispatcher
}

// Start does nothing.
func (m *mailbox) Start() {}

// UserMessageCount counts the queued user messages.
func (m *mailbox) UserMessageCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.user)
}

func (m *mailbox) schedule() {
	m.mu.Lock()
	if m.scheduled || !m.ready() {
		m.mu.Unlock()
		return
	}
	m.scheduled = true
	m.mu.Unlock()
	m.dispatcher.Schedule(m.turn)
}

// ready reports whether a turn has a message to take; m.mu is held.
func (m *mailbox) ready() bool { return len(m.sys) > 0 || (!m.suspended && len(m.user) > 0) }

// turn processes one message, then makes the lane ready again if more wait.
func (m *mailbox) turn() {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
		m.mu.Lock()
		m.scheduled = false
		m.mu.Unlock()
		m.schedule()
	}()
	m.mu.Lock()
	switch {
	case len(m.sys) > 0:
		msg = m.sys[0]
		m.sys = slices.Delete(m.sys, 0, 1)
		m.mu.Unlock()
		switch msg.(type) {
		case *actor.SuspendMailbox:
			m.setSuspended(true)
		case *actor.ResumeMailbox:
			m.setSuspended(false)
		default:
			m.invoker.InvokeSystemMessage(msg)
		}
	case !m.suspended && len(m.user) > 0:
		msg = m.user[0]
		m.user = slices.Delete(m.user, 0, 1)
		m.mu.Unlock()
		m.invoker.InvokeUserMessage(msg)
	default:
		m.mu.Unlock()
	}
}

func (m *mailbox) setSuspended(s bool) {
	m.mu.Lock()
	m.suspended = s
	m.mu.Unlock()
}
