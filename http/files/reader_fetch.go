package files

import (
	"fmt"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// verifiedReader is implemented by block stores that read and verify a block into a caller's
// buffer, hashing each piece as it is read (*blockstore.Store).
type verifiedReader interface {
	ReadBlock(a persist.Address, dst []byte) ([]byte, error)
}

// slot is one block being fetched or fetched.
type slot struct {
	idx  int
	buf  []byte // pooled storage
	data []byte // plaintext, once done
	err  error
	done chan struct{}
}

// readAhead is how many blocks a sequential Reader fetches ahead of the one being read: two,
// so that two blocks are hashed and decrypted on two cores while a third is written out (one
// gave 0.9–1.2 GB/s over loopback, two 1.6 GB/s; see docs/vaults-bytes.md).
const readAhead = 2

// load makes block i the current one: from the read-ahead when it holds i, else fetched now.
// Then it tops up the read-ahead when the reading is sequential and will get there.
func (r *Reader) load(i int) (*slot, error) {
	if r.cur != nil && r.cur.idx == i {
		return r.cur, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	sequential := r.cur != nil && r.cur.idx == i-1
	if r.cur != nil {
		r.keepSpare(r.cur.buf)
		r.cur = nil
	}
	var s *slot
	if len(r.ahead) > 0 && r.ahead[0].idx == i {
		s = r.ahead[0]
		r.ahead = r.ahead[1:]
		<-s.done
	} else {
		r.dropAhead()
		s = r.newSlot(i)
		r.fetch(s)
	}
	if s.err != nil {
		r.keepSpare(s.buf)
		return nil, s.err
	}
	r.cur = s
	if sequential || r.bulk {
		for j := i + 1 + len(r.ahead); j <= i+r.depth && j < len(r.blocks) && r.starts[j] < r.limit; j++ {
			n := r.newSlot(j)
			r.ahead = append(r.ahead, n)
			go r.fetch(n)
		}
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

// keepSpare keeps one buffer for the next slot and pools the rest.
func (r *Reader) keepSpare(b []byte) {
	if r.spare == nil {
		r.spare = b
	} else {
		putBuf(b)
	}
}

// dropAhead waits for the unwanted read-ahead and keeps its buffers.
func (r *Reader) dropAhead() {
	for _, s := range r.ahead {
		<-s.done
		r.keepSpare(s.buf)
	}
	r.ahead = nil
}

// fetch reads, verifies and decrypts block s.idx into s.buf, in place.
func (r *Reader) fetch(s *slot) {
	defer close(s.done)
	ref := r.blocks[s.idx]
	var ct []byte
	var err error
	if br, ok := r.store.(verifiedReader); ok {
		ct, err = br.ReadBlock(persist.Address(ref.Addr), s.buf[:0]) // hashed while read
		if err == nil && cap(ct) > cap(s.buf) {
			putBuf(s.buf)
			s.buf = ct
		}
	} else {
		ct, err = r.store.Get(persist.Address(ref.Addr)) // verified by the store
	}
	if err == nil {
		s.data, err = vaultcrypt.DecryptBlock(ct[:0], ref, ct)
	}
	if err != nil {
		s.data = nil
		s.err = fmt.Errorf("files: block %d of %d (%s): %w", s.idx, len(r.blocks), ref.Addr, err)
	}
}
