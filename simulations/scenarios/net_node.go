package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// counterTopic is where the nodes gossip their counter maps.
const counterTopic = "meshhold/sim/counters"

// netNode is one whole node of the network simulation, restarted on its crash copy.
type netNode struct {
	s      *netSim
	id     string
	store  *memstore.Store
	tr     p2p.Transport
	group  *sim.Group
	n      *node.Node
	mgr    *host.Manager
	boot   int
	down   bool
	paused bool
	skew   time.Duration
	last   map[string]uint64 // its counter map as last checked (it only grows)
}

// start boots the node on its store and transport: the actors, the counter child, and the
// bridge between its committed events and the gossip topic.
func (nn *netNode) start() {
	s := nn.s
	if s.opts.MaxSkew > 0 {
		nn.skew = time.Duration(s.rng.Int64N(int64(2*s.opts.MaxSkew))) - s.opts.MaxSkew
	}
	nn.group = s.b.Lanes.Group(nn.id)
	b := membus.New()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: nn.store, Bus: b, NodeID: nn.id, Clock: sim.SkewClock{Skew: nn.skew}, Logger: quiet, Lane: nn.group.For})
	if err != nil {
		s.fail("%s: start: %v", nn.id, err)
		return
	}
	nn.n = n
	if nn.mgr, err = n.Register(counterKind, loadCounterCore(nn.id)); err != nil {
		s.fail("%s: register: %v", nn.id, err)
		return
	}
	topic, err := nn.tr.Join(counterTopic)
	if err != nil {
		s.fail("%s: join: %v", nn.id, err)
		return
	}
	root, mgr := n.Root, nn.mgr
	_, _ = topic.Subscribe(func(m p2p.Message) {
		var state map[string]uint64
		if json.Unmarshal(m.Data, &state) == nil {
			root.Send(mgr.PID, host.To{ID: "state", Msg: mergeMsg{State: state}})
		}
	})
	id := nn.id
	_, _ = b.Subscribe(bus.AllEvents, func(m bus.Msg) {
		s.record(id, 0, "publish", "", m.Data)
		var ev struct {
			State map[string]uint64 `json:"state"`
		}
		if json.Unmarshal(m.Data, &ev) == nil && ev.State != nil {
			raw, _ := json.Marshal(ev.State)
			_ = topic.Publish(context.Background(), raw)
		}
	})
	root.Send(mgr.PID, host.To{ID: "state", Msg: mergeMsg{}}) // start the counter: it announces
	nn.down = false
	s.record(nn.id, uint64(nn.boot), "boot", "", nn.skew.String())
}

// crash kills the node: its lanes stop, its links and topics go (memnet.Crash), its store
// keeps every commit (no torn commits here: the bridge has published them). It restarts later.
func (nn *netNode) crash() {
	s := nn.s
	if nn.down {
		return
	}
	sim.Sometimes("node crashed")
	s.record(nn.id, uint64(nn.boot), "crash", "", nil)
	nn.group.Kill()
	nn.n.System.Shutdown()
	s.net.Crash(p2p.PeerID(nn.id))
	nn.store = nn.store.Crash()
	nn.boot++
	nn.down, nn.paused = true, false
	s.b.After(time.Duration(1+s.rng.IntN(30))*time.Second, nn.restart)
}

func (nn *netNode) restart() {
	if !nn.down {
		return
	}
	tr, err := nn.s.net.Restart(p2p.PeerID(nn.id))
	if err != nil {
		nn.s.fail("%s: restart: %v", nn.id, err)
		return
	}
	nn.tr = tr
	nn.start()
	nn.s.redial(nn)
}

// pause freezes the node's turns for up to 20 s; gossip still arrives and waits in mailboxes.
func (nn *netNode) pause() {
	s := nn.s
	if nn.down || nn.paused {
		return
	}
	sim.Sometimes("node paused")
	d := time.Duration(1+s.rng.IntN(20)) * time.Second
	s.record(nn.id, uint64(nn.boot), "pause", d.String(), nil)
	g, boot := nn.group, nn.boot
	nn.paused = true
	g.Pause(true)
	s.b.After(d, func() {
		if nn.boot == boot {
			nn.paused = false
			g.Pause(false)
		}
	})
}

// bump asks the node to count one more; an answer is an acknowledged count.
func (nn *netNode) bump(then func()) {
	s := nn.s
	if nn.down {
		then()
		return
	}
	root, mgr, id := nn.n.Root, nn.mgr, nn.id
	s.b.Go(func() (any, error) {
		r, err := host.AskChild[bumped](context.Background(), root, mgr, "state", bump{}, 10*time.Second)
		return r, err
	}, func(res any, err error) {
		s.record(id, 0, "reply:bump", sim.Kind(res), fmt.Sprint(res, err))
		if b, ok := res.(bumped); ok && err == nil {
			s.acked[id] = max(s.acked[id], b.N)
		}
		then()
	})
}

// stop stops the node cleanly on a goroutine while the lanes keep turning.
func (nn *netNode) stop(then func()) {
	if nn.down {
		then()
		return
	}
	if nn.paused {
		nn.paused = false
		nn.group.Pause(false)
	}
	n := nn.n
	nn.s.b.Go(func() (any, error) { return nil, n.Stop(context.Background()) }, func(_ any, err error) {
		if err != nil {
			nn.s.fail("%s: stop: %v", nn.id, err)
		}
		then()
	})
}
