package files

import (
	"fmt"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// rawReader is implemented by block stores that read a block file into a caller's buffer
// without hashing it (*blockstore.Store): the reader then checks the address while it
// decrypts (vaultcrypt.OpenBlockTo), on two cores.
type rawReader interface {
	ReadUnverified(a persist.Address, dst []byte) ([]byte, error)
}

// slot is one block being fetched or fetched.
type slot struct {
	idx  int
	buf  []byte // pooled storage
	data []byte // plaintext, once done
	err  error
	done chan struct{}
}

// load makes block i the current one: from the read-ahead when it holds i, else fetched now.
// Then it starts the read-ahead of i+1 when the reading is sequential and will get there.
func (r *Reader) load(i int) (*slot, error) {
	if r.cur != nil && r.cur.idx == i {
		return r.cur, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	sequential := r.cur != nil && r.cur.idx == i-1
	if r.cur != nil {
		r.spare, r.cur = r.cur.buf, nil
	}
	var s *slot
	if r.next != nil && r.next.idx == i {
		s, r.next = r.next, nil
		<-s.done
	} else {
		r.dropNext()
		s = r.newSlot(i)
		r.fetch(s)
	}
	if s.err != nil {
		r.spare = s.buf
		return nil, s.err
	}
	r.cur = s
	if i+1 < len(r.blocks) && r.starts[i+1] < r.limit && (sequential || r.bulk) {
		r.next = r.newSlot(i + 1)
		go r.fetch(r.next)
	}
	return s, nil
}

// newSlot takes the spare buffer (or a pooled one) for block i.
func (r *Reader) newSlot(i int) *slot {
	need := int(r.blocks[i].Size) + vaultcrypt.BlockOverhead
	buf := r.spare
	r.spare = nil
	if cap(buf) < need {
		if buf != nil {
			putBuf(buf)
		}
		buf = getBuf(need)
	}
	return &slot{idx: i, buf: buf, done: make(chan struct{})}
}

// dropNext waits for an unwanted read-ahead and keeps its buffer as the spare.
func (r *Reader) dropNext() {
	if r.next == nil {
		return
	}
	<-r.next.done
	if r.spare == nil {
		r.spare = r.next.buf
	} else {
		putBuf(r.next.buf)
	}
	r.next = nil
}

// fetch reads, verifies and decrypts block s.idx into s.buf.
func (r *Reader) fetch(s *slot) {
	defer close(s.done)
	ref := r.blocks[s.idx]
	var err error
	if rr, ok := r.store.(rawReader); ok {
		ct := getBuf(len(s.buf))
		ct, err = rr.ReadUnverified(persist.Address(ref.Addr), ct[:0])
		if err == nil {
			s.data, err = vaultcrypt.OpenBlockTo(s.buf[:0], ref, ct)
		}
		if ct != nil {
			putBuf(ct)
		}
	} else {
		var ct []byte
		ct, err = r.store.Get(persist.Address(ref.Addr)) // verified by the store
		if err == nil {
			s.data, err = vaultcrypt.DecryptBlock(ct[:0], ref, ct)
		}
	}
	if err != nil {
		s.data = nil
		s.err = fmt.Errorf("files: block %d of %d (%s): %w", s.idx, len(r.blocks), ref.Addr, err)
	}
}
