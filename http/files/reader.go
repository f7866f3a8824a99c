package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// ErrClosed is returned by a Reader used after Close.
var ErrClosed = errors.New("files: reader closed")

// Reader reads one stored version: it fetches, verifies (address and AEAD) and decrypts block
// by block, keeping one block of read-ahead while the bytes are consumed sequentially. A
// missing or corrupt block is an error (wrapping persist.ErrBlockMissing or
// vaultcrypt.ErrCorrupt), never wrong bytes. Safe for one reader plus a concurrent Close.
type Reader struct {
	mu     sync.Mutex
	ctx    context.Context
	store  persist.BlockStore
	blocks []messages.BlockRef
	starts []int64 // starts[i] is block i's offset; starts[len(blocks)] the size
	pos    int64
	limit  int64   // nothing at or past limit will be read: no read-ahead beyond it
	bulk   bool    // copyN is writing up to limit: read ahead from the first block
	cur    *slot   // the block being read
	ahead  []*slot // read-ahead: blocks cur.idx+1, +2, … being fetched
	depth  int     // how many blocks to read ahead
	spare  []byte
	closed bool
}

// NewReader prepares to read the version m describes. It needs no key: each block's secret is
// in the manifest. Close it to return its buffers.
func NewReader(ctx context.Context, store persist.BlockStore, m messages.Manifest) (*Reader, error) {
	starts := make([]int64, len(m.Blocks)+1)
	for i, b := range m.Blocks {
		if b.Size == 0 {
			return nil, fmt.Errorf("files: manifest block %d is empty", i)
		}
		starts[i+1] = starts[i] + int64(b.Size)
	}
	if starts[len(m.Blocks)] != m.Size {
		return nil, fmt.Errorf("files: manifest blocks hold %d bytes, size says %d", starts[len(m.Blocks)], m.Size)
	}
	return &Reader{ctx: ctx, store: store, blocks: m.Blocks, starts: starts, limit: m.Size, depth: readAhead}, nil
}

// Size is the plaintext size.
func (r *Reader) Size() int64 { return r.starts[len(r.blocks)] }

// Read reads from the current offset.
func (r *Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	if r.pos >= r.Size() {
		return 0, io.EOF
	}
	data, err := r.at(r.pos)
	if err != nil {
		return 0, err
	}
	n := copy(p, data)
	r.pos += int64(n)
	return n, nil
}

// Seek sets the offset for the next Read; it reads nothing.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.Size()
	default:
		return 0, fmt.Errorf("files: seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("files: seek to negative offset %d", offset)
	}
	r.pos = offset
	return offset, nil
}

// WriteTo writes everything from the offset to the end (io.Copy uses it).
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.copyN(w, r.Size()-r.pos)
}

// Close waits for the read-ahead and returns the buffers; later calls fail with ErrClosed.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.dropAhead()
	if r.cur != nil {
		putBuf(r.cur.buf)
		r.cur = nil
	}
	if r.spare != nil {
		putBuf(r.spare)
		r.spare = nil
	}
	return nil
}

// copyN writes n bytes from the offset straight from the decrypted blocks (no copy into a
// caller's buffer), with read-ahead for all of them. r.mu is held.
func (r *Reader) copyN(w io.Writer, n int64) (int64, error) {
	if r.closed {
		return 0, ErrClosed
	}
	n = max(0, min(n, r.Size()-r.pos))
	r.limit, r.bulk = r.pos+n, true
	defer func() { r.limit, r.bulk = r.Size(), false }()
	var done int64
	for done < n {
		data, err := r.at(r.pos)
		if err != nil {
			return done, err
		}
		data = data[:min(int64(len(data)), n-done)]
		m, err := w.Write(data)
		done += int64(m)
		r.pos += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// blockAt is the index of the block holding offset pos (< Size).
func (r *Reader) blockAt(pos int64) int {
	if c := r.cur; c != nil && pos >= r.starts[c.idx] && pos < r.starts[c.idx+1] {
		return c.idx
	}
	return sort.Search(len(r.blocks), func(i int) bool { return r.starts[i+1] > pos }) // first block ending past pos
}

// at returns the plaintext from pos to the end of its block, loading the block if needed.
func (r *Reader) at(pos int64) ([]byte, error) {
	i := r.blockAt(pos)
	s, err := r.load(i)
	if err != nil {
		return nil, err
	}
	return s.data[pos-r.starts[i]:], nil
}
