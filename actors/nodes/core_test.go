package nodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

func info(id, name string) messages.NodeInfo {
	return messages.NodeInfo{NodeID: id, DisplayName: name, Version: "1"}
}

// eventTypes lists the types of the events since the last call.
func (d *driver) eventTypes() string {
	var out []string
	for _, ev := range d.Events {
		out = append(out, ev.Type)
	}
	d.Events = nil
	return strings.Join(out, ",")
}

func (d *driver) record(id string) (storedNode, bool) {
	var rec storedNode
	var ok bool
	_ = persist.ReadWith(d.Store, func(v persist.View) error {
		var raw []byte
		if raw, ok = v.Get(Bucket, entity+"/node/"+id); ok {
			ok = json.Unmarshal(raw, &rec) == nil
		}
		return nil
	})
	return rec, ok
}

func TestEventsOnlyOnChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []any
		want  string
	}{
		{"connect twice", []any{messages.PeerConnected{NodeID: "b"}, messages.PeerConnected{NodeID: "b"}}, "peer_connected,topology_changed"},
		{"disconnect unknown", []any{messages.PeerDisconnected{NodeID: "b"}}, ""},
		{"connect self", []any{messages.PeerConnected{NodeID: "self"}}, ""},
		{"regossip", []any{messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip}, messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaHello}}, "node_updated"},
		{"rename", []any{messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip}, messages.NodeSeen{Info: info("b", "bobby"), Via: messages.ViaGossip}}, "node_updated,node_updated"},
		{"relay after seen", []any{messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip}, messages.NodeSeen{Info: info("b", "eve"), Via: messages.ViaRelay}}, "node_updated"},
		{"seen after relay", []any{messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaRelay}, messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip}}, "node_updated"},
		{"self unchanged", []any{messages.UpdateSelf{Info: info("self", "a")}, messages.UpdateSelf{Info: info("self", "a")}}, ""},
		{"self renamed", []any{messages.UpdateSelf{Info: info("self", "a")}, messages.UpdateSelf{Info: info("self", "b")}}, "node_updated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t, Config{})
			for _, m := range tc.steps {
				d.step(m)
			}
			if got := d.eventTypes(); got != tc.want {
				t.Fatalf("events %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	d := newDriver(t, Config{})
	for _, tc := range []struct {
		msg  any
		want string
	}{
		{messages.UpdateSelf{Info: info("other", "x")}, "node_id: is not this node's peer id"},
		{messages.UpdateSelf{Info: messages.NodeInfo{NodeID: "self", Country: "germany"}}, "country"},
		{messages.NodeSeen{Info: messages.NodeInfo{NodeID: "b", DisplayName: "a\nb"}, Via: messages.ViaGossip}, "display_name"},
		{messages.NodeSeen{Info: messages.NodeInfo{NodeID: "b", Peers: []messages.PeerLink{{NodeID: "c", RTTMs: -1}}}, Via: messages.ViaGossip}, "peers"},
		{messages.NodeSeen{Info: messages.NodeInfo{NodeID: "b", Caps: make([]string, messages.MaxNodeCaps+1)}, Via: messages.ViaGossip}, "caps: has more than 32"},
		{messages.RecordSpeedtest{}, "peer_id"},
		{"bogus", "unknown command string"},
	} {
		err, _ := d.step(tc.msg).(error)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: %v, want …%s…", tc.msg, err, tc.want)
		}
	}
	if d.Store.Commits() != 0 || len(d.Events) != 0 {
		t.Fatalf("refused commands wrote %d commits, %d events", d.Store.Commits(), len(d.Events))
	}
	var invalid *messages.InvalidError
	if err, _ := d.step(messages.UpdateSelf{Info: info("other", "x")}).(error); !errors.As(err, &invalid) {
		t.Fatalf("a wrong self id is not a 400: %v", err)
	}
}

// A node that stays online is written again only once its stored last_seen is PersistEvery old.
func TestLastSeenIsWrittenCoarsely(t *testing.T) {
	d := newDriver(t, Config{PersistEvery: time.Minute})
	d.step(messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip})
	first := d.Store.Commits()
	rec, _ := d.record("b")
	for range 50 { // a second apart
		d.step(messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip})
	}
	if got := d.Store.Commits() - first; got != 0 {
		t.Fatalf("%d commits for 50 s of re-gossip, want none", got)
	}
	for range 10 {
		d.step(messages.NodeSeen{Info: info("b", "bob"), Via: messages.ViaGossip})
	}
	later, _ := d.record("b")
	if d.Store.Commits()-first != 1 || later.LastSeenMs-rec.LastSeenMs != 60_000 {
		t.Fatalf("after 60 s: %d commits, last seen moved %d ms", d.Store.Commits()-first, later.LastSeenMs-rec.LastSeenMs)
	}
	if later.Info.Peers != nil || later.FirstSeenMs != rec.FirstSeenMs || later.Via != "gossip" {
		t.Fatalf("record %+v", later)
	}
}

// A full directory makes room by dropping the offline node seen longest ago (with its speed
// tests); a relayed node never makes room; a connection is always listed.
func TestDirectoryIsBounded(t *testing.T) {
	d := newDriver(t, Config{MaxNodes: 3, OnlineFor: time.Minute})
	for _, id := range []string{"b", "c", "d"} {
		d.step(messages.NodeSeen{Info: info(id, id), Via: messages.ViaGossip})
	}
	d.step(messages.RecordSpeedtest{Result: messages.SpeedResult{PeerID: "b", Mbps: 1}})
	d.step(messages.NodeSeen{Info: info("e", "e"), Via: messages.ViaGossip})
	if names(d) != "self,b,c,d" {
		t.Fatalf("an online node was pushed out: %s", names(d))
	}
	d.Now = d.Now.Add(2 * time.Minute) // all offline now; b was seen longest ago
	d.step(messages.NodeSeen{Info: info("r", "r"), Via: messages.ViaRelay})
	if names(d) != "self,b,c,d" {
		t.Fatalf("a relayed node made room: %s", names(d))
	}
	d.step(messages.NodeSeen{Info: info("e", "e"), Via: messages.ViaGossip})
	if names(d) != "self,e,c,d" {
		t.Fatalf("after e: %s", names(d))
	}
	if _, ok := d.record("b"); ok {
		t.Fatal("b's record outlived it")
	}
	if err, _ := d.step(messages.SpeedHistory{Peer: "b"}).(error); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("b's speed tests outlived it: %v", err)
	}
	for _, id := range []string{"x", "y", "z", "w"} {
		d.step(messages.PeerConnected{NodeID: id})
	}
	// c and d made room for x and y; e is online, so z and w go past the bound.
	if got := names(d); got != "self,e,w,x,y,z" {
		t.Fatalf("with 4 connections: %s", got)
	}
	d.Reload() // the connected peers never said who they are: nothing of them was kept
	if got := names(d); got != "self,e" {
		t.Fatalf("after a restart: %s", got)
	}
}

func names(d *driver) string {
	var out []string
	for _, v := range d.step(messages.ListNodes{}).(messages.NodeList).Nodes {
		out = append(out, v.NodeID)
	}
	return strings.Join(out, ",")
}

func TestSpeedHistoryKeepsTheLast20(t *testing.T) {
	d := newDriver(t, Config{})
	d.step(messages.PeerConnected{NodeID: "b"})
	for i := range 25 {
		d.step(messages.RecordSpeedtest{Result: messages.SpeedResult{PeerID: "b", Mbps: float64(i)}})
	}
	h := d.step(messages.SpeedHistory{Peer: "b"}).(messages.SpeedHistoryList)
	if len(h.Results) != messages.MaxSpeedHistory || h.Results[0].Mbps != 24 || h.Results[19].Mbps != 5 || h.Results[0].AtMs != d.Now.UnixMilli()-1000 {
		t.Fatalf("history %d results, first %+v", len(h.Results), h.Results[0])
	}
	if h := d.step(messages.SpeedHistory{Peer: "self"}).(messages.SpeedHistoryList); h.Results == nil || len(h.Results) != 0 {
		t.Fatalf("self's history %+v, want an empty list", h)
	}
}

// A record that does not decode, or names another node, is skipped at load.
func TestLoadSkipsBadRecords(t *testing.T) {
	d := newDriver(t, Config{})
	good, _ := json.Marshal(storedNode{Info: info("b", "bob"), Via: "hello", LastSeenMs: 5})
	err := d.Store.Commit([]persist.Write{
		{Bucket: Bucket, Key: entity + "/node/b", Value: good},
		{Bucket: Bucket, Key: entity + "/node/c", Value: []byte("{")},
		{Bucket: Bucket, Key: entity + "/node/d", Value: good},
		{Bucket: Bucket, Key: entity + "/node/self", Value: []byte(`{"info":{"node_id":"self"}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Reload()
	if got := names(d); got != "self,b" {
		t.Fatalf("loaded %s", got)
	}
	v := d.step(messages.GetNode{NodeID: "b"}).(messages.NodeView)
	if v.Online || v.LastSeenMs != 5 || v.DisplayName != "bob" {
		t.Fatalf("loaded %+v", v)
	}
}

// The edge set is the same whichever order reports arrive in, and an RTT is the mean of the
// non-zero reports.
func TestTopologyIsOrderIndependent(t *testing.T) {
	reports := []any{
		messages.PeerConnected{NodeID: "b"},
		messages.NodeSeen{Info: messages.NodeInfo{NodeID: "b", Peers: []messages.PeerLink{{NodeID: "c", RTTMs: 2}, {NodeID: "self", RTTMs: 1}}}, Via: messages.ViaGossip},
		messages.NodeSeen{Info: messages.NodeInfo{NodeID: "c", Peers: []messages.PeerLink{{NodeID: "b", RTTMs: 4}, {NodeID: "d"}}}, Via: messages.ViaGossip},
		messages.NodeSeen{Info: messages.NodeInfo{NodeID: "d"}, Via: messages.ViaGossip},
		messages.UpdateSelf{Info: messages.NodeInfo{NodeID: "self", Peers: []messages.PeerLink{{NodeID: "b", RTTMs: 3}}}},
	}
	var want string
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}} {
		d := newDriver(t, Config{})
		for _, i := range order {
			d.step(reports[i])
		}
		topo := d.step(messages.GetTopology{}).(messages.Topology)
		got := fmt.Sprint(topo.Edges)
		if want == "" {
			want = got
		}
		if got != want || got != "[{b c 3} {b self 3} {c d 0}]" {
			t.Fatalf("order %v: edges %s, want %s", order, got, want)
		}
	}
}
