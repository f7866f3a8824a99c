package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// change is one step's catalog transaction: staged writes, working usage counters and events.
// Nothing of it touches the core until done, so a refused change leaves no trace.
type change struct {
	c      *core
	tx     *txn
	ms     int64
	usage  *storev1.VaultUsage
	events []host.Event
	// what retention dropped in this step, reported after the step's other events
	prunedPaths    []string
	prunedVersions int
	prunedBytes    int64
	learned        int // addresses the step added to the pruned set
	// the Merkle summary: ver/ keys the step put (true) or deleted, and the summary after them
	verDelta map[messages.VersionAddr]bool
	mk       *merkle
	opened   map[messages.VersionAddr]*storev1.Version // versions the step decrypted
	policy   *storev1.VaultPolicy                      // a policy the step adopted from a peer
	spol     *messages.SyncPolicy                      // and its sealed form
}

func (c *core) begin(v persist.View, ms int64) *change {
	return &change{c: c, tx: newTxn(v), ms: ms, usage: proto.Clone(c.usage).(*storev1.VaultUsage),
		verDelta: map[messages.VersionAddr]bool{}, opened: map[messages.VersionAddr]*storev1.Version{}}
}

// done brings the Merkle summary up to date with the step's ver/ changes, adopts it and the
// working usage (stored when it changed) and returns the step's output.
func (ch *change) done(reply any) host.Output {
	ch.updateMerkle()
	if ch.mk != nil {
		ch.c.mk = ch.mk
	}
	if ch.policy != nil {
		ch.c.policy, ch.c.spol = ch.policy, ch.spol
	}
	if !proto.Equal(ch.usage, ch.c.usage) {
		ch.tx.store(ch.c.keys.usage(), ch.usage)
		ch.c.usage = ch.usage
	}
	if ch.prunedVersions > 0 {
		ch.event("versions_pruned", map[string]any{"vault_id": ch.c.id, "paths": ch.prunedPaths, "versions": ch.prunedVersions, "bytes": ch.prunedBytes})
	}
	return host.Output{Writes: ch.tx.writes(), Events: ch.events, Reply: reply}
}

// open decrypts the version at addr once per step.
func (ch *change) open(addr []byte) (*storev1.Version, error) {
	if ver, ok := ch.opened[messages.VersionAddr(addr)]; ok {
		return ver, nil
	}
	ver, err := ch.c.openVersion(ch.tx, addr)
	if err == nil {
		ch.opened[messages.VersionAddr(addr)] = ver
	}
	return ver, err
}

// pruned counts a version retention dropped from path.
func (ch *change) pruned(path string, size int64) {
	if n := len(ch.prunedPaths); n == 0 || ch.prunedPaths[n-1] != path {
		ch.prunedPaths = append(ch.prunedPaths, path)
	}
	ch.prunedVersions++
	ch.prunedBytes += size
}

func (ch *change) event(typ string, data map[string]any) {
	ch.events = append(ch.events, host.Event{Type: typ, Data: data})
}

// overQuota refuses a change that leaves more retained bytes than the hard quota allows,
// unless it shrinks them.
func (ch *change) overQuota() error {
	hard, after := ch.c.policy.HardQuota, ch.usage.Bytes
	if hard > 0 && after > hard && after > ch.c.usage.Bytes {
		return &messages.QuotaError{VaultID: ch.c.id, HardQuota: hard, WouldBeSize: after}
	}
	return nil
}

// addVersion seals ver (setting its creation time and sorting its parents), makes it the head
// of its path in place of its parents, counts it, applies keep_versions to the path and
// returns the path's new entry and the version's address. Its creation time is after every
// version the path has held (a Lamport clock over the node's clock), so the new version is
// the shown head by the rule sync uses too: the head with the greatest (created_ms, addr).
func (ch *change) addVersion(old *storev1.PathEntry, ver *storev1.Version) (*storev1.PathEntry, []byte, error) {
	k := ch.c.keys
	ver.CreatedMs = max(ch.ms, maxCreated(old)+1)
	slices.SortFunc(ver.Parents, bytes.Compare)
	ver.Parents = slices.CompactFunc(ver.Parents, bytes.Equal)
	sealed := ch.c.rc.Seal(marshal(ver))
	sum := sha256.Sum256(sealed)
	addr := sum[:]
	if ch.hasVersion(addr) || ch.isPruned(addr) { // the very same version, committed before
		return nil, nil, fmt.Errorf("%w: this version of %s is already committed", messages.ErrConflict, ver.Path)
	}
	ch.putVersion(addr, sealed)
	ch.opened[messages.VersionAddr(addr)] = ver
	for _, b := range ver.Blocks {
		ch.addRef(b.Addr)
	}
	e := &storev1.PathEntry{}
	if old != nil {
		e = proto.Clone(old).(*storev1.PathEntry)
	}
	e.LastSeq++
	ch.tx.put(k.historyAt(ver.Path, e.LastSeq), addr)
	e.Heads = slices.DeleteFunc(e.Heads, func(h []byte) bool { return containsAddr(ver.Parents, h) })
	e.Heads = append(e.Heads, addr)
	slices.SortFunc(e.Heads, bytes.Compare)
	showHead(e, addr, ver)
	e.MaxCreatedMs = ver.CreatedMs
	e.UpdatedMs = ch.ms
	e.Versions++
	ch.usage.Bytes += ver.Size
	ch.usage.Versions++
	ch.countDay(ver)
	if err := ch.keepNewest(ver.Path, e); err != nil {
		return nil, nil, err
	}
	ch.setEntry(ver.Path, old, e)
	return e, addr, nil
}

// maxCreated is the greatest creation time of a path's versions; an entry written before
// max_created_ms existed falls back on its last change, which no local version postdates.
func maxCreated(e *storev1.PathEntry) int64 {
	if e == nil {
		return 0
	}
	return max(e.MaxCreatedMs, e.UpdatedMs)
}

// showHead copies the shown head's fields into e.
func showHead(e *storev1.PathEntry, addr []byte, ver *storev1.Version) {
	e.Head, e.Size, e.ContentHash, e.Md5 = addr, ver.Size, ver.ContentHash, ver.Md5
	e.ContentType, e.MtimeMs, e.Author, e.Deleted = ver.ContentType, ver.MtimeMs, ver.Author, ver.Deleted
}

// setEntry writes (or with next nil, deletes) a path's entry and moves the usage counters and
// the analytics tallies from the old entry's state to the new one's.
func (ch *change) setEntry(path string, old, next *storev1.PathEntry) {
	if next == nil {
		ch.tx.del(ch.c.keys.path(path))
	} else {
		ch.tx.store(ch.c.keys.path(path), next)
	}
	for _, side := range []struct {
		sign int64
		e    *storev1.PathEntry
	}{{-1, old}, {1, next}} {
		sign, e := side.sign, side.e
		if e == nil {
			continue
		}
		switch {
		case e.Deleted:
			ch.usage.Deleted += sign
		default:
			ch.usage.Files += sign
			ch.tally(e, sign)
		}
		if len(e.Heads) > 1 {
			ch.usage.Conflicts += sign
		}
	}
}

// addRef counts one more reference to a block; a block referenced again is no orphan.
func (ch *change) addRef(addr []byte) {
	k := ch.c.keys
	raw, _ := ch.tx.get(k.ref(addr))
	n := uint64BE(raw)
	if n == 0 {
		ch.tx.del(k.orphan(addr))
	}
	ch.tx.put(k.ref(addr), binary.BigEndian.AppendUint64(nil, n+1))
}

// dropRef counts one reference less; at zero the block becomes an orphan, stamped now.
func (ch *change) dropRef(addr []byte) {
	k := ch.c.keys
	raw, _ := ch.tx.get(k.ref(addr))
	if n := uint64BE(raw); n > 1 {
		ch.tx.put(k.ref(addr), binary.BigEndian.AppendUint64(nil, n-1))
		return
	}
	ch.tx.del(k.ref(addr))
	ch.tx.put(k.orphan(addr), binary.BigEndian.AppendUint64(nil, uint64(ch.ms)))
}

// dropVersion removes a retained version (its record and history entry) with its block
// references and usage, puts it in the pruned set so that sync never brings it back, and
// returns its size.
func (ch *change) dropVersion(h kv) (int64, error) {
	ver, err := ch.open(h.val)
	if err != nil {
		return 0, err
	}
	ch.delVersion(h.val)
	ch.addPruned(h.val)
	ch.tx.del(h.key)
	for _, b := range ver.Blocks {
		ch.dropRef(b.Addr)
	}
	ch.usage.Bytes -= ver.Size
	ch.usage.Versions--
	return ver.Size, nil
}
