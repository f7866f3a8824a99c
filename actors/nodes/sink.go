package nodes

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// Sink feeds the directory from the mesh: it implements p2p/hello's Sink by sending to the
// nodes/self actor (never waiting, except Known, which asks within ctx and Limit).
type Sink struct {
	Root *actor.RootContext
	// Mgr is the manager of messages.NodesKind.
	Mgr *host.Manager
	// Limit bounds Known's ask (0: 5 s).
	Limit time.Duration
}

// Connected reports a connection to peer.
func (s Sink) Connected(peer p2p.PeerID) { s.send(messages.PeerConnected{NodeID: string(peer)}) }

// Disconnected reports the last connection to peer closing.
func (s Sink) Disconnected(peer p2p.PeerID) {
	s.send(messages.PeerDisconnected{NodeID: string(peer)})
}

// Seen reports a node's info.
func (s Sink) Seen(info messages.NodeInfo, via string) {
	s.send(messages.NodeSeen{Info: info, Via: via})
}

// Announced sets this node's own info.
func (s Sink) Announced(self messages.NodeInfo) { s.send(messages.UpdateSelf{Info: self}) }

// Known lists the online nodes the directory knows (this one included: hello leaves it out).
func (s Sink) Known(ctx context.Context) []messages.NodeInfo {
	limit := s.Limit
	if limit <= 0 {
		limit = 5 * time.Second
	}
	list, err := host.AskChild[messages.NodeList](ctx, s.Root, s.Mgr, messages.NodesID, messages.ListNodes{OnlineOnly: true}, limit)
	if err != nil {
		return nil
	}
	out := make([]messages.NodeInfo, 0, len(list.Nodes))
	for _, v := range list.Nodes {
		out = append(out, v.NodeInfo)
	}
	return out
}

// send delivers msg through the manager (which starts the actor if needed): always the same
// path, so the directory gets the sink's messages in the order they were sent — a connect is
// never overtaken by its disconnect.
func (s Sink) send(msg any) {
	s.Root.Send(s.Mgr.PID, host.To{ID: messages.NodesID, Msg: msg})
}
