package scenarios

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// nodeClient issues one operation at a time through host.AskChild, like the HTTP layer.
type nodeClient struct {
	s    *nodeSim
	id   int
	rng  *rand.Rand
	left int
	busy bool
}

func (c *nodeClient) name() string { return fmt.Sprintf("client/%d", c.id) }

// next schedules the next operation a few seconds to minutes from now.
func (c *nodeClient) next() {
	c.busy = false
	if c.left <= 0 {
		return
	}
	c.busy = true
	c.s.b.After(time.Duration(1+c.rng.IntN(120))*time.Second, c.op)
}

func (c *nodeClient) op() {
	c.left--
	s := c.s
	path := fmt.Sprintf("/f%d", c.rng.IntN(s.opts.Paths))
	body := content(c.rng, s.opts.BlockSize)
	switch n := c.rng.IntN(100); {
	case n < 42:
		c.upload(path, body, "", "")
	case n < 50:
		c.upload(path, body, ifMatchOf(s.m, path, c.rng), "")
	case n < 60:
		c.upload(path, body, "", staleBaseOf(s.m, path, c.rng))
	case n < 67:
		c.command(messages.DeleteFile{Path: path}, "", false)
	case n < 74:
		addrs := liveOf(s.m, path)
		if len(addrs) == 0 {
			c.next()
			return
		}
		addr := sim.Pick(c.rng, addrs)
		v := s.m.acked[addr]
		c.command(messages.RestoreFile{Path: path, ContentHash: addr}, v.body, v.known)
	case n < 82:
		c.resolve(path)
	case n < 86:
		keep := sim.Pick(c.rng, []int{0, 1, 2, 3})
		s.ask(c.name(), s.vaults, vaultID, messages.SetPolicy{KeepVersions: &keep}, func(any) { c.next() })
	default:
		addrs := liveOf(s.m, "")
		if len(addrs) == 0 {
			c.next()
			return
		}
		addr := sim.Pick(c.rng, addrs)
		s.ask(c.name(), s.vaults, vaultID, messages.OpenVersion{Path: s.m.acked[addr].path, ContentHash: addr}, func(reply any) {
			if !s.down {
				s.readReply(addr, s.m.acked[addr], reply)
			}
			c.next()
		})
	}
}

// upload is BeginUpload, the blocks stored and pinned as http/files does, then CommitUpload a
// little later; the outcome decides the pins as files.Upload does: Done, Abort or Linger.
func (c *nodeClient) upload(path, body, ifMatch, base string) {
	s := c.s
	s.ask(c.name(), s.vaults, vaultID, messages.BeginUpload{Path: path, Size: int64(len(body)), IfMatch: ifMatch, Base: base}, func(reply any) {
		grant, ok := reply.(messages.UploadGrant)
		if !ok || s.down {
			c.next()
			return
		}
		sealed := sealContent(grant.Key, body, s.opts.BlockSize)
		pins, gc, boot := s.pins, s.gc, s.boot
		var pinned []messages.BlockAddr
		unpin := func() {
			for _, a := range pinned {
				pins.Unpin(a)
			}
		}
		written, err := storeBlocks(s.blocks, func(a messages.BlockAddr) { pins.Pin(a); pinned = append(pinned, a) }, sealed)
		if err != nil {
			if !isNoSpace(err) {
				s.fail("store blocks: %v", err)
			}
			abort(unpin, gc, written)
			c.next()
			return
		}
		s.b.After(time.Duration(c.rng.IntN(10_000))*time.Millisecond, func() {
			if s.boot != boot {
				c.next()
				return
			}
			s.ask(c.name(), s.vaults, vaultID, messages.CommitUpload{Path: path, Manifest: sealed.manifest, ContentType: "text/plain", IfMatch: ifMatch, Base: base}, func(reply any) {
				err := asError(reply)
				switch info, ok := reply.(messages.FileInfo); {
				case ok:
					unpin()
					s.m.ack(info, body, true)
				case isUnavailable(err):
					s.b.After(10*time.Minute, unpin) // outcome unknown: Linger
				case s.boot == boot:
					abort(unpin, gc, written)
				}
				c.next()
			})
		})
	})
}

// command sends a vault command answered by FileInfo; body is the new version's content.
func (c *nodeClient) command(msg any, body string, known bool) {
	c.s.ask(c.name(), c.s.vaults, vaultID, msg, func(reply any) {
		if info, ok := reply.(messages.FileInfo); ok {
			c.s.m.ack(info, body, known)
		}
		c.next()
	})
}

// resolve stats path and, on a conflict, resolves it with one head's content.
func (c *nodeClient) resolve(path string) {
	s := c.s
	s.ask(c.name(), s.vaults, vaultID, messages.StatFile{Path: path, IncludeDeleted: true}, func(reply any) {
		info, ok := reply.(messages.FileInfo)
		if !ok || !info.Conflict || s.down {
			c.next()
			return
		}
		head := sim.Pick(c.rng, info.Heads)
		body, known := "", false
		if v, ok := s.m.acked[head]; ok {
			body, known = v.body, v.known
		}
		c.command(messages.ResolveConflict{Path: path, ContentHash: head}, body, known)
	})
}

// liveOf lists path's live acknowledged versions ("" any path).
func liveOf(m *model, path string) []string {
	var out []string
	for _, addr := range m.live() {
		if path == "" || m.acked[addr].path == path {
			out = append(out, addr)
		}
	}
	return out
}

// ifMatchOf is the content hash of path's head as last seen (maybe stale).
func ifMatchOf(m *model, path string, r *rand.Rand) string {
	if info, ok := m.paths[path]; ok && !info.Deleted {
		return info.ContentHash
	}
	return fmt.Sprintf("%064x", r.Uint64())
}

// staleBaseOf is an older version of path to edit from ("" when there is none).
func staleBaseOf(m *model, path string, r *rand.Rand) string {
	addrs := liveOf(m, path)
	if len(addrs) < 2 {
		return ""
	}
	return addrs[r.IntN(len(addrs)-1)]
}

func isUnavailable(err error) bool { return errors.Is(err, messages.ErrUnavailable) }

func isStorage(err error) bool { return errors.Is(err, messages.ErrStorage) }
