package room_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
)

// TestScripts runs testdata/*.txt (coretest.Scripts: a command, "----", the output it must
// give — events, then the reply; -rewrite writes the output instead). Nodes a, b and c are the
// room's members and r a relay; senders show as their node's name, messages as name#seq.
//
//	join <node>                 CreateRoom          relay <node> | drop <node>   RelayRoom | DropRelay
//	send <node> <text>          SendMessage         at <ms>                       every clock to base+ms
//	deliver <from> <to> [n…]    ReceiveEnvelopes of the from node's own messages n… (all when none)
//	catchup <from> <to>         ChatSince with the to node's heads, then ReceiveEnvelopes at to
//	list <node> [limit]         every page     status <node>     read <node> <ms>    reload <node>
func TestScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/*.txt", func(t *testing.T) func(string) string {
		s := &script{t: t, nodes: map[string]*node{}, sent: map[string][]messages.ChatEnvelope{}, names: map[string]string{}}
		members := []string{}
		for i, name := range []string{"a", "b", "c", "r"} {
			ident := newIdentity(t, byte(i+1))
			s.names[ident.id] = name
			if name != "r" {
				members = append(members, ident.id)
			}
		}
		s.members, s.id = members, messages.RoomID(testKey, members)
		for i, name := range []string{"a", "b", "c", "r"} {
			s.nodes[name] = newNode(t, newIdentity(t, byte(i+1)), s.id)
		}
		return s.run
	})
}

type script struct {
	t       *testing.T
	id      string
	members []string
	nodes   map[string]*node
	sent    map[string][]messages.ChatEnvelope // by sender name, in seq order
	names   map[string]string                  // peer id → node name
}

const scriptBase = 1_700_000_000_000

func (s *script) run(block string) string {
	lines := strings.Split(block, "\n")
	f := strings.Fields(lines[len(lines)-1])
	n := s.nodes[f[1]]
	if f[0] != "at" && n == nil {
		s.t.Fatalf("unknown node in %q", lines[len(lines)-1])
	}
	for _, x := range s.nodes {
		x.reg.Events, x.room.Events = nil, nil
	}
	var reply any
	switch f[0] {
	case "at":
		ms, _ := strconv.ParseInt(f[1], 10, 64)
		for _, x := range s.nodes {
			x.at(scriptBase + ms)
		}
		return "ok"
	case "join":
		reply = n.reg.Step(messages.CreateRoom{ID: s.id, Name: "team", Members: s.members,
			SealedKey: seal(messages.ChatKeyPurpose(s.id), testKey[:])})
	case "relay":
		reply = n.reg.Step(messages.RelayRoom{ID: s.id})
	case "drop":
		if reply = n.reg.Step(messages.DropRelay{ID: s.id}); !isErr(reply) {
			reply = n.room.Step(messages.PurgeRoom{})
		}
	case "send":
		reply = n.room.Step(messages.SendMessage{Body: *text(strings.Join(f[2:], " ")), Nonce: [24]byte{byte(len(s.sent[f[1]]))}})
		if sent, ok := reply.(messages.ChatSent); ok {
			s.sent[f[1]] = append(s.sent[f[1]], sent.Envelope)
		}
	case "deliver":
		var envs []messages.ChatEnvelope
		for _, a := range f[3:] {
			i, _ := strconv.Atoi(a)
			envs = append(envs, s.sent[f[1]][i-1])
		}
		if len(f) == 3 {
			envs = s.sent[f[1]]
		}
		reply = s.nodes[f[2]].room.Step(messages.ReceiveEnvelopes{Envelopes: envs})
	case "catchup":
		to := s.nodes[f[2]]
		heads := must[messages.RoomStatus](s.t, to.room.Step(messages.GetRoomStatus{})).Heads
		got, ok := n.room.Step(messages.ChatSince{Heads: heads}).(messages.ChatEnvelopes)
		if !ok {
			reply = "since refused"
			break
		}
		reply = to.room.Step(messages.ReceiveEnvelopes{Envelopes: got.Envelopes})
	case "list":
		limit := 0
		if len(f) > 2 {
			limit, _ = strconv.Atoi(f[2])
		}
		reply = s.list(n, limit)
	case "status":
		reply = n.room.Step(messages.GetRoomStatus{})
	case "read":
		ms, _ := strconv.ParseInt(f[2], 10, 64)
		reply = n.room.Step(messages.MarkRead{TsMs: scriptBase + ms})
	case "reload":
		n.room.Reload()
		return "ok"
	default:
		s.t.Fatalf("unknown command %q", f[0])
	}
	var out []string
	for _, x := range []*node{n, s.nodes["a"], s.nodes["b"], s.nodes["c"], s.nodes["r"]} {
		for _, ev := range append(slices.Clone(x.reg.Events), x.room.Events...) {
			out = append(out, s.event(ev))
		}
		x.reg.Events, x.room.Events = nil, nil
	}
	return strings.Join(append(out, s.render(reply)), "\n")
}

func isErr(v any) bool { _, ok := v.(error); return ok }

func (s *script) list(n *node, limit int) any {
	var out []string
	cursor := ""
	for {
		reply := n.room.Step(messages.ListMessages{Before: cursor, Limit: limit})
		p, ok := reply.(messages.ChatPage)
		if !ok {
			return reply
		}
		var page []string
		for _, m := range p.Messages {
			page = append(page, fmt.Sprintf("%s#%d@%d %q", s.names[m.Sender], m.Seq, m.TsMs-scriptBase, m.Text))
		}
		out = append(out, "page "+strings.Join(page, " "))
		if cursor = p.Next; cursor == "" {
			return strings.Join(out, "\n")
		}
	}
}

func (s *script) event(ev host.Event) string {
	d, _ := ev.Data.(map[string]any)
	switch ev.Type {
	case "chat_message":
		return fmt.Sprintf("event chat_message %s#%v self=%v", s.names[d["sender_node_id"].(string)], d["sender_seq"], d["is_self"])
	case "chat_read":
		return fmt.Sprintf("event chat_read read_ts=%v unread=%v", d["read_ts_ms"].(int64)-scriptBase, d["unread"])
	}
	return "event " + ev.Type
}

func (s *script) render(reply any) string {
	switch r := reply.(type) {
	case error:
		return "error " + r.Error()
	case string:
		return r
	case messages.RoomMeta:
		return fmt.Sprintf("room relay=%v members=%d", r.Relay, len(r.Members))
	case messages.ChatSent:
		return fmt.Sprintf("sent %s#%d@%d", s.names[r.Envelope.Sender], r.Envelope.Seq, r.Envelope.TsMs-scriptBase)
	case messages.ChatReceived:
		out := fmt.Sprintf("received added=%d duplicate=%d rejected=%d", r.Added, r.Duplicate, r.Rejected)
		for _, g := range r.Gaps {
			out += fmt.Sprintf(" gap=%s#%d-%d", s.names[g.Sender], g.From, g.To)
		}
		for _, why := range r.Reasons {
			out += "\nreason " + why[strings.Index(why, "/"):]
		}
		return out
	case messages.RoomStatus:
		var heads []string
		for id, h := range r.Heads {
			heads = append(heads, fmt.Sprintf("%s=%d", s.names[id], h))
		}
		slices.Sort(heads)
		out := fmt.Sprintf("status messages=%d unread=%d read_ts=%d self_seq=%d relay=%v heads=%s",
			r.Messages, r.Unread, max(r.ReadTsMs-scriptBase, 0), r.SelfSeq, r.Relay, strings.Join(heads, ","))
		for _, g := range r.Gaps {
			out += fmt.Sprintf(" gap=%s#%d-%d", s.names[g.Sender], g.From, g.To)
		}
		return out
	case messages.RoomPurged:
		return fmt.Sprintf("purged done=%v", r.Done)
	}
	return fmt.Sprintf("%T %+v", reply, reply)
}
