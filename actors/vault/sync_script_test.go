package vault_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
)

// TestSyncScripts runs testdata/sync/*.txt: nodes holding vault v1, each over its own store,
// converging through the exchange a replication driver runs (pull). Versions show as v<n> and
// roots as r<n>, numbered in order of appearance across all nodes. After every block every
// node's catalog passes vault.CheckInvariants.
//
//	node <name> [untrusted] [keep=<n>]   start a node holding v1: trusted (testKey) or untrusted (held)
//	<name> <command>                     a TestScripts command at that node (put, delete, stat, …)
//	<name> summary                       its versions, pruned set size, root and policy version
//	pull <dst> <src> [batch=<n>]         dst pulls what src has (SyncApply batches of n records)
//	converge <name>… [batch=<n>]         pull between every pair until a round changes nothing;
//	                                     roots, pruned sets, heads and shown heads must agree
//	tamper <dst> <src>                   apply one of src's records at dst under a wrong address
//	later <duration>                     every node's clock moves forward
func TestSyncScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/sync/*.txt", func(t *testing.T) func(string) string {
		m := &mesh{t: t, now: time.UnixMilli(1_700_000_000_000), peers: map[string]*peer{},
			names: map[string]string{}, contents: map[string]string{}, roots: map[[32]byte]string{},
			blocks: map[string]string{}, addrs: map[string]messages.BlockAddr{}}
		return m.run
	})
}

// mesh is a sync script's nodes and the names it gives versions and roots.
type mesh struct {
	t        *testing.T
	now      time.Time
	peers    map[string]*peer
	order    []*peer
	names    map[string]string
	contents map[string]string
	roots    map[[32]byte]string
	blocks   map[string]string // block addr → b<n>, across nodes
	addrs    map[string]messages.BlockAddr
}

func (m *mesh) run(block string) string {
	lines := strings.Split(block, "\n")
	f := strings.Fields(lines[len(lines)-1])
	for _, p := range m.order {
		p.at(m.now)
	}
	var out []string
	switch {
	case f[0] == "node":
		m.node(f[1:])
		out = []string{"ok"}
	case f[0] == "later":
		d, _ := time.ParseDuration(f[1])
		m.now = m.now.Add(d)
		out = []string{"ok"}
	case f[0] == "pull":
		r := pull(m.peer(f[1]), m.peer(f[2]), batchOpt(f[3:]))
		out = append(m.events(), m.appliedLine(r))
	case f[0] == "converge":
		var peers []*peer
		for _, name := range f[1:] {
			if !strings.HasPrefix(name, "batch=") {
				peers = append(peers, m.peer(name))
			}
		}
		rounds := converge(peers, batchOpt(f[1:]), 6)
		out = m.events()
		if err := sameState(peers); err != nil {
			m.t.Errorf("converge %s: %v", strings.Join(f[1:], " "), err)
		}
		out = append(out, fmt.Sprintf("converged in %d rounds: root %s", rounds, m.root(peers[0].summary(false).Root)))
	case f[0] == "tamper":
		out = []string{m.tamper(m.peer(f[1]), m.peer(f[2]))}
	case f[1] == "summary":
		s := m.peer(f[0]).summary(false)
		pv := int64(0)
		if s.Policy != nil {
			pv = s.Policy.Version
		}
		out = []string{fmt.Sprintf("versions=%d pruned=%d root=%s policy_version=%d untrusted=%v", s.Versions, s.Pruned, m.root(s.Root), pv, s.Untrusted)}
	default:
		p := m.peer(f[0])
		s := &script{rig: &rig{t: m.t, reg: p.reg, v: p.v}, names: m.names, contents: m.contents, blocks: m.blocks, addrs: m.addrs}
		out = []string{s.run(strings.Join(f[1:], " "))}
	}
	for _, p := range m.order {
		if err := p.check(); err != nil {
			m.t.Errorf("after %q: %v", strings.Join(f, " "), err)
		}
	}
	return strings.Join(out, "\n")
}

func (m *mesh) node(args []string) {
	policy := messages.VaultPolicy{}
	untrusted := false
	for _, a := range args[1:] {
		if a == "untrusted" {
			untrusted = true
		} else if n, ok := strings.CutPrefix(a, "keep="); ok {
			policy.KeepVersions, _ = strconv.Atoi(n)
		}
	}
	p := newPeer(m.t, args[0], untrusted, policy, m.now)
	m.peers[args[0]] = p
	m.order = append(m.order, p)
}

func (m *mesh) peer(name string) *peer {
	p, ok := m.peers[name]
	if !ok {
		m.t.Fatalf("no node %q", name)
	}
	return p
}

func batchOpt(args []string) int {
	for _, a := range args {
		if n, ok := strings.CutPrefix(a, "batch="); ok {
			b, _ := strconv.Atoi(n)
			return b
		}
	}
	return messages.MaxSyncApply
}

// events renders every node's events since the last call, each line naming the node.
func (m *mesh) events() []string {
	var out []string
	s := &script{names: m.names, contents: m.contents, blocks: m.blocks, addrs: m.addrs}
	for _, p := range m.order {
		for _, ev := range p.v.Events {
			line := s.event(ev.Type, ev.Data)
			if ev.Type == "vault_synced" {
				line = m.synced(ev.Data)
			}
			out = append(out, p.name+": event "+line)
		}
		p.v.Events = nil
	}
	return out
}

// synced renders a vault_synced event with its root named.
func (m *mesh) synced(data any) string {
	d := data.(map[string]any)
	var root [32]byte
	if _, err := hexDecode(root[:], d["root"].(string)); err != nil {
		m.t.Fatal(err)
	}
	return fmt.Sprintf("vault_synced added=%d dropped=%d learned=%d skipped=%d conflicts=%d policy=%v root=%s",
		d["added"], d["dropped"], d["learned"], d["skipped"], d["conflicts"], d["policy"], m.root(root))
}

func (m *mesh) appliedLine(r pulled) string {
	a := r.applied
	return fmt.Sprintf("applies=%d added=%d present=%d skipped=%d unreadable=%d dropped=%d learned=%d conflicts=%d policy=%v",
		r.rounds, a.Added, a.Present, a.Skipped, a.Unreadable, a.Dropped, a.Learned, a.Conflicts, a.Policy)
}

// root names a Merkle root r1, r2 … in order of appearance.
func (m *mesh) root(r [32]byte) string {
	if n, ok := m.roots[r]; ok {
		return n
	}
	m.roots[r] = fmt.Sprintf("r%d", len(m.roots)+1)
	return m.roots[r]
}

// tamper sends dst one of src's records under another address: the apply must be refused whole.
func (m *mesh) tamper(dst, src *peer) string {
	list := listAll(src, allBuckets())
	if len(list.Addrs) < 2 {
		m.t.Fatalf("tamper: %s holds fewer than 2 versions", src.name)
	}
	got := src.ask(messages.SyncGet{Addrs: list.Addrs[:2]}).(messages.SyncRecords)
	bad := got.Records[0]
	bad.Addr = got.Records[1].Addr
	before := dst.summary(false).Root
	reply := dst.v.Step(messages.SyncApply{Records: []messages.SyncRecord{got.Records[1], bad}})
	if dst.summary(false).Root != before {
		m.t.Errorf("tamper: a refused apply changed %s's root", dst.name)
	}
	if err, ok := reply.(error); ok {
		return "error " + strings.ReplaceAll(err.Error(), bad.Addr.String(), m.names[bad.Addr.String()])
	}
	return fmt.Sprintf("reply %T", reply)
}
