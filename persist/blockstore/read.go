package blockstore

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/meshhold/meshhold/persist"
)

// hashChunk is how much of a block is read before it is hashed: small enough to hash while the
// bytes are still in the CPU cache, large enough to keep the read syscalls few.
const hashChunk = 256 << 10

// ReadBlock reads the block into dst's storage (growing it when too small) and verifies it
// against a, like Get but without allocating: a missing, empty or corrupt block file is
// persist.ErrBlockMissing.
func (s *Store) ReadBlock(a persist.Address, dst []byte) ([]byte, error) {
	f, err := os.Open(s.path(a))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("block %s: %w", a, persist.ErrBlockMissing)
	case err != nil:
		return nil, fmt.Errorf("blockstore read %s: %w", a, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("blockstore read %s: %w", a, err)
	}
	n := int(fi.Size())
	if n == 0 {
		return nil, fmt.Errorf("block %s: empty file: %w", a, persist.ErrBlockMissing)
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	h := sha256.New()
	for off := 0; off < n; {
		end := min(off+hashChunk, n)
		if _, err := io.ReadFull(f, dst[off:end]); err != nil {
			return nil, fmt.Errorf("block %s: short read: %v: %w", a, err, persist.ErrBlockMissing)
		}
		h.Write(dst[off:end])
		off = end
	}
	if persist.Address(h.Sum(nil)) != a {
		return nil, fmt.Errorf("block %s: content does not match its address: %w", a, persist.ErrBlockMissing)
	}
	return dst, nil
}
