package network

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
)

// TestScripts runs testdata/*.txt (coretest.Scripts: a command, "----", the output it must
// give — events, then the reply; -rewrite writes the output instead). k<n> names test key n
// and the network it identifies; addresses are given as they are.
//
//	import <k> [addr…]        a daemon start whose config.yaml declares key k (ImportDeclared)
//	add <k> <name> [addr…]    POST /networks with a join URL of key k
//	create <k> <name>         POST /networks/create minting key k
//	list | get <k>
//	delete <k> [connected]    DELETE /networks/:id, the mesh running on it or not
//	connect <k> | disconnect  SetActive / ClearActive
//	peers <k> addr…           POST /networks/:id/peers
//	bootstrap <k> [addr…]     PUT /networks/:id/bootstrap
//	rotate <k> <new>          POST /networks/:id/swarm-key
//	hold <from> <k> <new>     a peer that is not a contact pushed key new for network k
//	rotations | accept <k> | refuse <k>
//	restart                   reload the core from its records
func TestScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/*.txt", func(t *testing.T) func(string) string { return newDriver(t).run })
}

func (d *driver) run(block string) string {
	lines := strings.Split(block, "\n")
	f := strings.Fields(lines[len(lines)-1])
	d.Events = nil
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	k := func(i int) int {
		n, err := strconv.Atoi(strings.TrimPrefix(arg(i), "k"))
		if err != nil {
			d.T.Fatalf("%q: argument %d is not a key name k<n>", block, i)
		}
		return n
	}
	var reply any
	switch f[0] {
	case "import":
		reply = d.Step(messages.ImportDeclared{Key: sealed(k(1)), Bootstrap: f[2:]})
	case "add":
		reply = d.Step(messages.AddNetwork{Name: arg(2), Key: sealed(k(1)), Bootstrap: f[min(3, len(f)):]})
	case "create":
		reply = d.Step(messages.CreateNetwork{Name: arg(2), Key: sealed(k(1))})
	case "list":
		reply = d.Step(messages.ListNetworks{})
	case "get":
		reply = d.Step(messages.GetNetwork{ID: id(k(1))})
	case "delete":
		reply = d.Step(messages.DeleteNetwork{ID: id(k(1)), Connected: arg(2) == "connected"})
	case "connect":
		reply = d.Step(messages.SetActive{ID: id(k(1))})
	case "disconnect":
		reply = d.Step(messages.ClearActive{})
	case "peers":
		reply = d.Step(messages.AddPeers{ID: id(k(1)), Addrs: f[2:]})
	case "bootstrap":
		reply = d.Step(messages.SetBootstrap{ID: id(k(1)), Addrs: f[2:]})
	case "rotate":
		reply = d.Step(messages.RotateKey{ID: id(k(1)), NewKey: sealed(k(2))})
	case "hold":
		reply = d.Step(messages.HoldRotation{From: arg(1), NetworkID: id(k(2)), NewKey: sealed(k(3))})
	case "rotations":
		reply = d.Step(messages.ListPendingRotations{})
	case "accept":
		reply = d.Step(messages.AcceptRotation{ID: id(k(1))})
	case "refuse":
		reply = d.Step(messages.RefuseRotation{ID: id(k(1))})
	case "restart":
		d.Reload()
		reply = d.Step(messages.ListNetworks{})
	default:
		d.T.Fatalf("unknown command %q", f[0])
	}
	var out []string
	for _, ev := range d.Events {
		out = append(out, fmt.Sprintf("event %s %s", ev.Type, jsonOf(ev.Data)))
	}
	out = append(out, show(reply))
	return names.Replace(strings.Join(out, "\n"))
}
