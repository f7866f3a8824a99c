package files

import (
	"fmt"
	"hash"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// toucher is implemented by block stores that can refresh a matched block's age.
type toucher interface {
	Touch(a persist.Address) error
}

// seal is one worker: seal a block, pin its address, store it unless present.
func (p *pipeline) seal() {
	sealer := vaultcrypt.NewBlockSealer(p.cfg.Key)
	ct := getBuf(largeBuf)
	defer func() { putBuf(ct) }()
	for b := range p.jobs {
		if p.ctx.Err() != nil {
			p.release(b)
			continue
		}
		out, ref := sealer.Seal(ct[:0], b.data)
		p.release(b)
		if cap(out) > cap(ct) {
			ct = out
		}
		written, err := p.store(ref.Addr, out)
		if err != nil {
			p.fail(fmt.Errorf("files: storing block %d: %w", b.idx, err))
		}
		p.results <- result{idx: b.idx, ref: ref, written: written, err: err}
	}
}

// store pins a (before looking, so a collector either saw the pin or already deleted the
// file, which is then written again), then writes the block unless a valid copy is present. A
// present copy is verified against its address first: a file a crash left short or damaged
// must never be what a new version points at.
func (p *pipeline) store(a messages.BlockAddr, ciphertext []byte) (written bool, err error) {
	p.pin(a)
	pa := persist.Address(a)
	has, err := p.cfg.Store.Has(pa)
	if err != nil {
		return false, err
	}
	if has && !p.intact(pa, len(ciphertext)) {
		if err := p.cfg.Store.Delete(pa); err != nil {
			return false, err
		}
		has = false
	}
	if has {
		if t, ok := p.cfg.Store.(toucher); ok {
			return false, t.Touch(pa)
		}
		return false, nil
	}
	return true, p.cfg.Store.Put(pa, ciphertext)
}

// intact reports whether the stored copy of a reads back whole and matches its address.
func (p *pipeline) intact(a persist.Address, size int) bool {
	var err error
	if br, ok := p.cfg.Store.(verifiedReader); ok {
		_, err = br.ReadBlock(a, make([]byte, 0, size))
	} else {
		_, err = p.cfg.Store.Get(a)
	}
	return err == nil
}

func (p *pipeline) pin(a messages.BlockAddr) {
	p.mu.Lock()
	first := !p.pinnedSet[a]
	if first {
		p.pinnedSet[a] = true
		p.pinnedList = append(p.pinnedList, a)
	}
	p.mu.Unlock()
	if first {
		p.cfg.Pins.Pin(a)
	}
}

// hash feeds blocks, in order, to one hash.
func (p *pipeline) hash(q chan *block, h hash.Hash) {
	for b := range q {
		if p.ctx.Err() == nil {
			h.Write(b.data)
		}
		p.release(b)
	}
}

// collect places the workers' results in block order.
func (p *pipeline) collect() {
	defer close(p.done)
	seen := map[messages.BlockAddr]bool{}
	for r := range p.results {
		if r.err != nil {
			continue
		}
		for len(p.refs) <= r.idx {
			p.refs = append(p.refs, messages.BlockRef{})
		}
		p.refs[r.idx] = r.ref
		if r.written && !seen[r.ref.Addr] {
			seen[r.ref.Addr] = true
			p.written = append(p.written, r.ref.Addr)
		}
	}
}
