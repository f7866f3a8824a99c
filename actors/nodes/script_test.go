package nodes

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

const entity = messages.NodesKind + "/" + messages.NodesID

// epoch is where the driver's clock starts; scripts show times as seconds after it.
var epoch = time.UnixMilli(1_700_000_000_000)

// recorder wraps the core to keep the timers its steps ask for, which coretest does not show.
type recorder struct {
	host.Core
	timers []host.Timer
	cancel []string
}

func (r *recorder) Step(now time.Time, msg any, v persist.View) host.Output {
	out := r.Core.Step(now, msg, v)
	r.timers, r.cancel = out.Timers, out.Cancel
	return out
}

// driver steps the directory of node "self" as a host would, a second apart, and fires its
// timer when asked.
type driver struct {
	*coretest.Driver
	rec   *recorder
	armed time.Time
}

func newDriver(t *testing.T, cfg Config) *driver {
	d := &driver{}
	cfg.Self = "self"
	load := Load(cfg)
	d.Driver = coretest.New(t, entity, func(entity string, v persist.View) (host.Core, error) {
		c, err := load(entity, v)
		d.rec = &recorder{Core: c}
		d.armed = time.Time{} // timers do not survive a restart
		return d.rec, err
	})
	d.Tick = time.Second
	return d
}

// step steps msg and tracks the expire timer.
func (d *driver) step(msg any) any {
	d.T.Helper()
	reply := d.Step(msg)
	for _, k := range d.rec.cancel {
		if k == expireKey {
			d.armed = time.Time{}
		}
	}
	for _, tm := range d.rec.timers {
		if tm.Key == expireKey {
			d.armed = tm.At
		}
	}
	return reply
}

// TestScripts runs testdata/*.txt (coretest.Scripts; -rewrite rewrites them). Node ids are
// short names; this node is "self". Times print as seconds after the driver's epoch.
//
//	self <info>               UpdateSelf (as p2p/hello's Announced does)
//	seen <via> <id> <info>    NodeSeen
//	connect <id>              PeerConnected
//	disconnect <id>           PeerDisconnected
//	wait <duration>           let time pass (no step)
//	fire                      move to the armed expire timer and deliver its Wake
//	list | get <id> | topology | history <id>
//	speed <id> <mbps>         RecordSpeedtest
//	restart                   reload from the records
//
// <info> is key=value words: name=, version=, vaults=a,b, caps=, started=<s after epoch>,
// peers=<id>:<rtt ms>,…
func TestScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/*.txt", func(t *testing.T) func(string) string {
		return newDriver(t, Config{OnlineFor: 90 * time.Second}).run
	})
}

func (d *driver) run(block string) string {
	lines := strings.Split(block, "\n")
	words := strings.Fields(lines[len(lines)-1])
	verb, args := words[0], words[1:]
	d.Events = nil
	var reply any
	switch verb {
	case "self":
		reply = d.step(messages.UpdateSelf{Info: parseInfo(d.T, "self", args)})
	case "seen":
		reply = d.step(messages.NodeSeen{Via: args[0], Info: parseInfo(d.T, args[1], args[2:])})
	case "connect":
		reply = d.step(messages.PeerConnected{NodeID: args[0]})
	case "disconnect":
		reply = d.step(messages.PeerDisconnected{NodeID: args[0]})
	case "wait":
		dur, err := time.ParseDuration(args[0])
		if err != nil {
			d.T.Fatal(err)
		}
		d.Now = d.Now.Add(dur)
		d.rec.timers, d.rec.cancel = nil, nil
		return fmt.Sprintf("now %s", d.at(d.Now.UnixMilli()))
	case "fire":
		if d.armed.IsZero() {
			return "no timer armed"
		}
		if d.armed.After(d.Now) {
			d.Now = d.armed.Add(-d.Tick)
		}
		d.armed = time.Time{}
		reply = d.step(host.Wake{Key: expireKey})
	case "list":
		reply = d.step(messages.ListNodes{})
	case "get":
		reply = d.step(messages.GetNode{NodeID: args[0]})
	case "topology":
		reply = d.step(messages.GetTopology{})
	case "history":
		reply = d.step(messages.SpeedHistory{Peer: args[0]})
	case "speed":
		mbps, _ := strconv.ParseFloat(args[1], 64)
		reply = d.step(messages.RecordSpeedtest{Result: messages.SpeedResult{PeerID: args[0], Mbps: mbps, Bytes: 1 << 20}})
	case "restart":
		d.Reload()
		d.armed = time.Time{}
		reply = d.step(messages.ListNodes{})
	default:
		d.T.Fatalf("unknown command %q", verb)
	}
	return d.describe(reply)
}

// describe renders the step's events, the armed timer and the reply.
func (d *driver) describe(reply any) string {
	var out []string
	for _, ev := range d.Events {
		out = append(out, fmt.Sprintf("event %s %s", ev.Type, jsonOf(ev.Data)))
	}
	for _, tm := range d.rec.timers {
		out = append(out, fmt.Sprintf("timer %s at %s", tm.Key, d.at(tm.At.UnixMilli())))
	}
	for _, k := range d.rec.cancel {
		out = append(out, "cancel timer "+k)
	}
	switch r := reply.(type) {
	case nil:
	case error:
		out = append(out, "error "+r.Error())
	case messages.NodeList:
		for _, v := range r.Nodes {
			out = append(out, d.node(v))
		}
	case messages.NodeView:
		out = append(out, d.node(r))
	case messages.Topology:
		for _, n := range r.Nodes {
			out = append(out, fmt.Sprintf("node %s online=%t uptime=%ds", n.NodeID, n.Online, n.UptimeMs/1000))
		}
		for _, e := range r.Edges {
			out = append(out, fmt.Sprintf("edge %s-%s rtt=%g", e.A, e.B, e.RTTMs))
		}
	case messages.SpeedHistoryList:
		for _, s := range r.Results {
			out = append(out, fmt.Sprintf("speed %s at %s %g Mbps", s.PeerID, d.at(s.AtMs), s.Mbps))
		}
		if len(r.Results) == 0 {
			out = append(out, "no speed tests")
		}
	default:
		out = append(out, fmt.Sprintf("reply %T %s", reply, jsonOf(reply)))
	}
	if len(out) == 0 {
		return "ok"
	}
	return strings.Join(out, "\n")
}

func (d *driver) node(v messages.NodeView) string {
	var peers []string
	for _, p := range v.Peers {
		peers = append(peers, fmt.Sprintf("%s:%g", p.NodeID, p.RTTMs))
	}
	return fmt.Sprintf("%s name=%q online=%t connected=%t via=%s first=%s last=%s uptime=%ds vaults=%v peers=%v",
		v.NodeID, v.DisplayName, v.Online, v.Connected, v.Via, d.at(v.FirstSeenMs), d.at(v.LastSeenMs), v.UptimeMs/1000, v.Vaults, peers)
}

// at renders a time in ms as seconds after the epoch ("-" for 0).
func (d *driver) at(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return fmt.Sprintf("%+ds", (ms-epoch.UnixMilli())/1000)
}

func parseInfo(t testing.TB, id string, args []string) messages.NodeInfo {
	info := messages.NodeInfo{NodeID: id}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "name":
			info.DisplayName = v
		case "version":
			info.Version = v
		case "vaults":
			info.Vaults = strings.Split(v, ",")
		case "caps":
			info.Caps = strings.Split(v, ",")
		case "started":
			s, _ := strconv.Atoi(v)
			info.StartedMs = epoch.UnixMilli() + int64(s)*1000
		case "peers":
			for _, p := range strings.Split(v, ",") {
				pid, rtt, _ := strings.Cut(p, ":")
				ms, _ := strconv.ParseFloat(rtt, 64)
				info.Peers = append(info.Peers, messages.PeerLink{NodeID: pid, RTTMs: ms})
			}
		default:
			t.Fatalf("unknown info key %q", k)
		}
	}
	return info
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
