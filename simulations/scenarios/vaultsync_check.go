package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
)

// syncRFRounds bounds the rounds of pulls after the faults stop within which every retained
// version must have two complete copies (RF 2). When they stop, every retained version is held
// by some node with its blocks (blocks before records), and in the first round every node
// pulls from every other, fetching from every node: one round suffices (500 seeds: always 1).
const syncRFRounds = 1

// settle heals everything, pulls between every pair until a round changes nothing — every
// retained version with two complete copies within syncRFRounds rounds — and checks that the
// nodes agree.
func (w *syncWorld) settle() error {
	clear(w.cut)
	w.quiet = true
	replicated := false
	for round := 1; ; round++ {
		if round > 8 {
			return fmt.Errorf("no convergence after 8 rounds")
		}
		changed := false
		for i := range w.nodes {
			for j := range w.nodes {
				if i != j && w.pull(i, j, messages.MaxSyncApply, pullWhole, false) {
					changed = true
				}
			}
		}
		if w.err != nil {
			return w.err
		}
		if !replicated {
			rep := w.replicas()
			if err := rep.intact(); err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			err := rep.twoCopies()
			replicated = err == nil
			w.run.Trace.At(w.now, "settle", uint64(round), "replicated", fmt.Sprint(replicated), nil)
			if err != nil && (round == syncRFRounds || !changed) {
				return fmt.Errorf("RF 2 not reached after %d rounds of pulls: %w", round, err)
			}
		}
		if !changed {
			break
		}
	}
	roots := map[[32]byte]bool{}
	for _, n := range w.nodes {
		roots[w.step(n, messages.SyncSummary{}).(messages.VaultSummary).Root] = true
	}
	if len(roots) != 1 {
		return fmt.Errorf("a quiet round left %d roots", len(roots))
	}
	if err := w.agree(); err != nil {
		return err
	}
	return w.bytesAgree()
}

// agree checks converged nodes: no retained version pruned anywhere, every acknowledged version
// held or pruned, one view of every path, no path name or content on the untrusted node.
func (w *syncWorld) agree() error {
	var files map[string]string
	for _, n := range w.nodes {
		list := w.list(n, allBuckets())
		held := map[string]bool{}
		for _, a := range list.Addrs {
			held[a.String()] = true
			if w.gone[a.String()] {
				return fmt.Errorf("%s retains %.12s, which a node pruned", n.name, a)
			}
		}
		for _, addr := range sortedKeys(w.acked) {
			if !held[addr] && !w.gone[addr] {
				return fmt.Errorf("%s lost acknowledged version %.12s of %s", n.name, addr, w.acked[addr].path)
			}
		}
		if n.untrusted {
			if err := noPlaintext(n.store, n.blocks); err != nil {
				return err
			}
			continue
		}
		got := map[string]string{}
		for _, f := range w.step(n, messages.ListFiles{IncludeDeleted: true}).(messages.FileList).Files {
			got[f.Path] = fmt.Sprintf("shown=%s heads=%v deleted=%v", f.Version, f.Heads, f.Deleted)
		}
		if files != nil && fmt.Sprint(files) != fmt.Sprint(got) {
			return fmt.Errorf("%s sees other paths:\n%v\n%v", n.name, files, got)
		}
		files = got
	}
	return nil
}

// bytesAgree checks the converged blocks: every record every node holds has its blocks there,
// intact; every retained version survives the loss of any one node (two complete copies); and
// every acknowledged, unpruned version reads back, on every trusted node, as the body uploaded.
func (w *syncWorld) bytesAgree() error {
	rep := w.replicas()
	if err := rep.intact(); err != nil {
		return err
	}
	if err := rep.twoCopies(); err != nil {
		return err
	}
	for _, addr := range sortedKeys(w.acked) {
		if w.gone[addr] {
			continue
		}
		up := w.acked[addr]
		for _, n := range w.nodes {
			if n.untrusted {
				continue
			}
			r, ok := w.ask(n, messages.OpenVersion{Path: up.path, ContentHash: addr}).(messages.Readable)
			if !ok {
				return fmt.Errorf("%s: acknowledged version %.12s of %s does not open", n.name, addr, up.path)
			}
			body, err := readBody(n.blocks, r)
			switch {
			case err != nil:
				return fmt.Errorf("%s: acknowledged version %.12s of %s does not read: %w", n.name, addr, up.path, err)
			case body != up.body:
				return fmt.Errorf("%s: acknowledged version %.12s of %s reads other bytes", n.name, addr, up.path)
			}
		}
	}
	return nil
}

// syncReplicas is where the retained versions' bytes are: for every version some node holds
// and no node pruned, the nodes holding its record with every block intact, and those holding
// the record with a block missing or damaged.
type syncReplicas struct {
	addrs  []messages.VersionAddr // sorted
	path   map[messages.VersionAddr]string
	full   map[messages.VersionAddr][]string
	broken map[messages.VersionAddr][]string // "<node>: block <addr>: <error>"
}

// replicas reads every node's records (their block lists, as SyncGet gives them) and checks
// each listed block in that node's store.
func (w *syncWorld) replicas() syncReplicas {
	rep := syncReplicas{path: map[messages.VersionAddr]string{}, full: map[messages.VersionAddr][]string{},
		broken: map[messages.VersionAddr][]string{}}
	seen := map[messages.VersionAddr]bool{}
	for _, n := range w.nodes {
		intact := map[persist.Address]error{}
		for _, r := range w.records(n) {
			if w.gone[r.Addr.String()] {
				continue
			}
			if !seen[r.Addr] {
				seen[r.Addr] = true
				rep.addrs = append(rep.addrs, r.Addr)
				rep.path[r.Addr] = w.acked[r.Addr.String()].path
			}
			bad := ""
			for _, b := range r.Blocks {
				a := persist.Address(b)
				err, checked := intact[a]
				if !checked {
					_, err = n.blocks.Get(a)
					intact[a] = err
				}
				if err != nil {
					bad = fmt.Sprintf("%s: block %.12s: %v", n.name, a, err)
					break
				}
			}
			if bad != "" {
				rep.broken[r.Addr] = append(rep.broken[r.Addr], bad)
			} else {
				rep.full[r.Addr] = append(rep.full[r.Addr], n.name)
			}
		}
	}
	slices.SortFunc(rep.addrs, func(x, y messages.VersionAddr) int { return bytes.Compare(x[:], y[:]) })
	return rep
}

// intact fails for the first version a node holds the record of without every block intact.
func (rep syncReplicas) intact() error {
	for _, a := range rep.addrs {
		if b := rep.broken[a]; len(b) > 0 {
			return fmt.Errorf("version %.12s%s is held without its bytes: %s", a, rep.of(a), strings.Join(b, "; "))
		}
	}
	return nil
}

// twoCopies fails for the first version fewer than two nodes hold completely: the loss of one
// node would lose it.
func (rep syncReplicas) twoCopies() error {
	for _, a := range rep.addrs {
		if full := rep.full[a]; len(full) < 2 {
			return fmt.Errorf("version %.12s%s has complete copies on %v only", a, rep.of(a), full)
		}
	}
	return nil
}

func (rep syncReplicas) of(a messages.VersionAddr) string {
	if p := rep.path[a]; p != "" {
		return " of " + p
	}
	return ""
}

// records is every record n holds with its block list, as n would send them.
func (w *syncWorld) records(n *syncNode) []messages.SyncRecord {
	var want []messages.VersionAddr
	for after := (messages.VersionAddr{}); ; {
		page, _ := w.ask(n, messages.SyncList{After: after}).(messages.SyncListing)
		want = append(want, page.Addrs...)
		if !page.More {
			break
		}
		after = page.Next
	}
	var out []messages.SyncRecord
	for len(want) > 0 && w.err == nil {
		k := min(len(want), messages.MaxSyncGet)
		got, ok := w.ask(n, messages.SyncGet{Addrs: want[:k]}).(messages.SyncRecords)
		if !ok || len(got.Records) == 0 && len(got.Later) == k {
			w.fail("%s: its records do not read back", n.name)
			break
		}
		want = append(got.Later, want[k:]...)
		out = append(out, got.Records...)
	}
	return out
}

// ask steps a query at n that must not write (so no invariant check after it) and traces its
// reply's kind.
func (w *syncWorld) ask(n *syncNode, msg any) any {
	snap, _ := n.store.Snapshot()
	out := n.core.Step(w.now, msg, snap)
	snap.Release()
	if len(out.Writes) > 0 {
		w.fail("%s: the query %T wrote %d records", n.name, msg, len(out.Writes))
	}
	w.run.Trace.At(w.now, n.name, 0, fmt.Sprintf("%T", msg), fmt.Sprintf("%T", out.Reply), nil)
	return out.Reply
}

// noPlaintext checks that no record (of any bucket) or readable block of an untrusted node
// holds a path name or the content marker. A block that does not read (an empty or torn file a
// crash left) holds a part of a ciphertext at most.
func noPlaintext(s *memstore.Store, bs *memblocks.Store) error {
	snap, _ := s.Snapshot()
	defer snap.Release()
	var err error
	for _, b := range []persist.Bucket{persist.Meta, persist.Events, persist.Seqs, persist.Auth, persist.Audit,
		persist.Profile, persist.Contacts, persist.Settings, persist.Vaults, persist.Catalog, persist.Networks,
		persist.Rooms, persist.Chat} {
		snap.Scan(b, "", "", func(k string, v []byte) bool {
			if what := plaintextIn(k + "\x00" + string(v)); what != "" {
				err = fmt.Errorf("untrusted node: record %q holds %s", k, what)
			}
			return err == nil
		})
	}
	if err != nil {
		return err
	}
	return bs.Walk(func(a persist.Address, _ time.Time) error {
		data, rerr := bs.Get(a)
		if rerr != nil {
			return nil
		}
		if what := plaintextIn(string(data)); what != "" {
			return fmt.Errorf("untrusted node: block %.12s holds %s", a, what)
		}
		return nil
	})
}

// plaintextIn names the path or the content marker s contains ("" for none).
func plaintextIn(s string) string {
	if strings.Contains(s, syncMarker) {
		return "the content marker " + syncMarker
	}
	for i := range 5 {
		if name := simPath(i); strings.Contains(s, name) {
			return "the path " + name
		}
	}
	return ""
}

// simPath is the scenario's i-th path: long enough that no ciphertext holds it by chance.
func simPath(i int) string { return fmt.Sprintf("/sync/sim-file-%d.txt", i) }

func allBuckets() []byte {
	out := make([]byte, messages.SyncBuckets)
	for i := range out {
		out[i] = byte(i)
	}
	return out
}

// sortedKeys is m's keys in order, so checks report the same first failure every run.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
