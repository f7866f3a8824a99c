package scenarios

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/simulations/sim"
)

// client issues operations against the vault, one at a time, at seeded virtual times.
type client struct {
	w    *world
	id   int
	rng  *rand.Rand
	left int  // operations still to issue
	busy bool // an upload is between its BeginUpload and its CommitUpload
}

// next schedules the client's next operation.
func (c *client) next() {
	if c.left <= 0 {
		return
	}
	c.w.q.Push(c.w.now.Add(quiet(c)), c.op)
}

func (c *client) op() {
	c.left--
	defer c.next()
	w := c.w
	if w.down {
		w.record(c.name(), 0, "unavailable", "", nil)
		return
	}
	path := fmt.Sprintf("/f%d", c.rng.IntN(w.opts.Paths))
	switch n := c.rng.IntN(100); {
	case n < 40:
		c.upload(path, content(c.rng, w.opts.BlockSize), "", "", 0)
	case n < 48:
		c.upload(path, content(c.rng, w.opts.BlockSize), c.ifMatch(path), "", 0)
	case n < 58:
		c.upload(path, content(c.rng, w.opts.BlockSize), "", c.staleBase(path), 0)
	case n < 65:
		c.simple(messages.DeleteFile{Path: path}, "", false)
	case n < 72:
		c.restore(path)
	case n < 80:
		c.resolve(path)
	case n < 84:
		c.policy()
	case n < 86:
		name := fmt.Sprintf("Sim %d", c.rng.IntN(5))
		reply, _ := w.deliver(registryEntity, messages.UpdateVaultMeta{ID: vaultID, Name: &name})
		_ = reply
	default:
		c.read()
	}
}

func (c *client) name() string { return fmt.Sprintf("client/%d", c.id) }

// upload runs BeginUpload, stores the blocks (pinned, as the ingest pipeline does), and a
// little later CommitUpload; an upload cut by a crash is retried once after the restart.
func (c *client) upload(path, body, ifMatch, base string, attempt int) {
	w := c.w
	reply, ok := w.deliver(vaultEntity, messages.BeginUpload{Path: path, Size: int64(len(body)), IfMatch: ifMatch, Base: base})
	if !ok {
		c.retry(path, body, ifMatch, base, attempt)
		return
	}
	grant, isGrant := reply.(messages.UploadGrant)
	if !isGrant {
		c.refused(reply)
		return
	}
	s := sealContent(grant.Key, body, w.opts.BlockSize)
	var pinned []messages.BlockAddr
	pin := func(a messages.BlockAddr) { w.pins.Pin(a); pinned = append(pinned, a) }
	pins, gc, boot := w.pins, w.gc, w.boot
	unpin := func() {
		for _, a := range pinned {
			pins.Unpin(a)
		}
	}
	written, err := storeBlocks(w.blocks, pin, s)
	if err != nil {
		if !errors.Is(err, syscall.ENOSPC) {
			w.fail("store blocks: %v", err)
			return
		}
		sim.Sometimes("block put out of space")
		w.record(c.name(), 0, "upload", "error", err)
		abort(unpin, gc, written)
		return
	}
	c.busy = true
	w.q.Push(w.now.Add(time.Duration(c.rng.Int64N(int64(20*time.Second)))), func() {
		c.busy = false
		if w.boot != boot {
			c.retry(path, body, ifMatch, base, attempt)
			return
		}
		reply, ok := w.deliver(vaultEntity, messages.CommitUpload{Path: path, Manifest: s.manifest, ContentType: "text/plain", IfMatch: ifMatch, Base: base})
		if !ok {
			c.retry(path, body, ifMatch, base, attempt)
			return
		}
		info, isInfo := reply.(messages.FileInfo)
		if !isInfo {
			c.refused(reply)
			abort(unpin, gc, written)
			return
		}
		if attempt > 0 && w.writes == 0 {
			sim.Sometimes("retried upload found its commit durable")
		}
		unpin()
		w.m.ack(info, body, true)
	})
}

// retry re-sends an upload the crash cut, once, a little after the node is back.
func (c *client) retry(path, body, ifMatch, base string, attempt int) {
	if attempt > 0 || c.rng.IntN(2) == 0 {
		return
	}
	c.busy = true
	c.w.q.Push(c.w.now.Add(3*time.Minute), func() {
		c.busy = false
		if c.w.down {
			return
		}
		c.upload(path, body, ifMatch, base, attempt+1)
	})
}

// abort ends an upload that certainly did not commit: unpin, reclaim what it wrote.
func abort(unpin func(), gc *blockgc.Collector, written []messages.BlockAddr) {
	unpin()
	if len(written) > 0 && gc.Reclaim(ctx(), written).Deleted > 0 {
		sim.Sometimes("upload reclaimed")
	}
}

// refused notes an error reply.
func (c *client) refused(reply any) {
	err, _ := reply.(error)
	switch {
	case errors.Is(err, messages.ErrQuota):
		sim.Sometimes("quota refused")
	case errors.Is(err, messages.ErrPreconditionFailed):
		sim.Sometimes("precondition failed")
	}
}

// simple sends a command answered by FileInfo; body is the content the new version has.
func (c *client) simple(msg any, body string, known bool) {
	reply, ok := c.w.deliver(vaultEntity, msg)
	if !ok {
		return
	}
	if info, isInfo := reply.(messages.FileInfo); isInfo {
		c.w.m.ack(info, body, known)
		return
	}
	c.refused(reply)
}

// restore brings back an older acknowledged version of path.
func (c *client) restore(path string) {
	addrs := c.versions(path, func(v *ackedVersion) bool { return !v.deleted })
	if len(addrs) == 0 {
		return
	}
	addr := sim.Pick(c.rng, addrs)
	v := c.w.m.acked[addr]
	c.simple(messages.RestoreFile{Path: path, ContentHash: addr}, v.body, v.known)
}

// resolve settles a conflict on path with the content of one of its heads.
func (c *client) resolve(path string) {
	reply, ok := c.w.deliver(vaultEntity, messages.StatFile{Path: path, IncludeDeleted: true})
	if !ok {
		return
	}
	info, isInfo := reply.(messages.FileInfo)
	if !isInfo || !info.Conflict {
		return
	}
	head := sim.Pick(c.rng, info.Heads)
	v, known := c.w.m.acked[head]
	body := ""
	if known {
		body = v.body
		known = v.known
	}
	c.simple(messages.ResolveConflict{Path: path, ContentHash: head}, body, known)
}

// read reads an acknowledged version back, sometimes with a damaged block.
func (c *client) read() {
	w := c.w
	addrs := c.versions("", func(v *ackedVersion) bool { return !v.deleted })
	if len(addrs) == 0 {
		return
	}
	addr := sim.Pick(c.rng, addrs)
	fault := sim.Chance(c.rng, w.opts.ReadFault)
	flip := c.rng.IntN(2) == 0
	w.readBack(addr, w.m.acked[addr], func(r messages.Readable) bool {
		if !fault || len(r.Manifest.Blocks) == 0 {
			return false
		}
		a := persist.Address(sim.Pick(c.rng, r.Manifest.Blocks).Addr)
		if flip {
			w.blocks.Faults().FlipBitOnRead(a)
		} else {
			w.blocks.Faults().EmptyOnRead(a)
		}
		return true
	})
}

// versions lists the acknowledged, unpruned versions of path ("" any path) that keep says.
func (c *client) versions(path string, keep func(*ackedVersion) bool) []string {
	var out []string
	for _, addr := range c.w.m.order {
		v := c.w.m.acked[addr]
		if (path == "" || v.path == path) && !c.w.m.pruned[addr] && keep(v) {
			out = append(out, addr)
		}
	}
	return out
}

// ifMatch is the content hash of path's head as last seen (maybe stale by now).
func (c *client) ifMatch(path string) string {
	if info, ok := c.w.m.paths[path]; ok && !info.Deleted {
		return info.ContentHash
	}
	return fmt.Sprintf("%064x", c.rng.Uint64())
}

// staleBase is an older version of path to edit from: the commit makes a second head.
func (c *client) staleBase(path string) string {
	addrs := c.versions(path, func(v *ackedVersion) bool { return !v.deleted })
	if len(addrs) < 2 {
		return ""
	}
	return addrs[c.rng.IntN(len(addrs)-1)]
}

// policy changes the retention policy or the quota.
func (c *client) policy() {
	var m messages.SetPolicy
	switch c.rng.IntN(4) {
	case 0:
		k := sim.Pick(c.rng, []int{0, 1, 2, 3, 5})
		m.KeepVersions = &k
	case 1:
		d := sim.Pick(c.rng, []int64{0, 60_000, 600_000, 3_600_000})
		m.KeepDeletedForMs = &d
	case 2:
		q := int64(0)
		if c.rng.IntN(2) == 0 {
			reply, _ := c.w.deliver(vaultEntity, messages.GetVault{})
			if st, ok := reply.(messages.VaultStatus); ok {
				q = st.Usage.Bytes + int64(c.rng.IntN(200))
			}
		}
		m.HardQuota = &q
	default:
		rf := 1 + c.rng.IntN(3)
		m.ReplicationFactor = &rf
	}
	c.w.deliver(vaultEntity, m)
}
