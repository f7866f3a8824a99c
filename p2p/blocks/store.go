package blocks

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/meshhold/meshhold/persist"
)

// blockReader is a store that reads a verified block into a caller's buffer
// (persist/blockstore and persist/memblocks both do).
type blockReader interface {
	ReadBlock(a persist.Address, dst []byte) ([]byte, error)
}

// toucher is a store that refreshes a present block's modification time, so the collector's
// grace period counts from the last use (persist/blockstore and persist/memblocks both do).
type toucher interface {
	Touch(a persist.Address) error
}

// readLocal reads a's verified bytes into buf[headroom:] and returns how many there are; any
// failure — missing, empty, corrupt, larger than MaxBlockSize, an I/O error — is reported as
// not there, never as bytes.
func readLocal(store persist.BlockStore, a persist.Address, buf []byte) (int, error) {
	dst := buf[headroom:headroom]
	if br, ok := store.(blockReader); ok {
		data, err := br.ReadBlock(a, dst)
		switch {
		case err != nil:
			return 0, err
		case len(data) == 0 || len(data) > MaxBlockSize || &data[0] != &buf[headroom]:
			return 0, fmt.Errorf("block %s: %d bytes: %w", a, len(data), persist.ErrBlockMissing)
		}
		return len(data), nil
	}
	data, err := store.Get(a)
	switch {
	case err != nil:
		return 0, err
	case len(data) == 0 || len(data) > MaxBlockSize:
		return 0, fmt.Errorf("block %s: %d bytes: %w", a, len(data), persist.ErrBlockMissing)
	}
	return copy(buf[headroom:], data), nil
}

// touch refreshes a present block's modification time when the store can.
func touch(store persist.BlockStore, a persist.Address) {
	if t, ok := store.(toucher); ok {
		_ = t.Touch(a)
	}
}

// readVerified reads an arriving block of n bytes into dst (len ≥ n), hashing each hashChunk
// as it lands, and reports whether it matches a. Only a read error is an error.
func readVerified(r *bufio.Reader, a persist.Address, dst []byte) (bool, error) {
	h := sha256.New()
	for off := 0; off < len(dst); {
		end := min(off+hashChunk, len(dst))
		if _, err := io.ReadFull(r, dst[off:end]); err != nil {
			return false, unexpected(err)
		}
		h.Write(dst[off:end])
		off = end
	}
	var sum persist.Address
	h.Sum(sum[:0])
	return sum == a, nil
}

// dedupe returns addrs without repeats, in first-seen order.
func dedupe(addrs []persist.Address) []persist.Address {
	seen := make(map[persist.Address]struct{}, len(addrs))
	out := make([]persist.Address, 0, len(addrs))
	for _, a := range addrs {
		if _, ok := seen[a]; !ok {
			seen[a] = struct{}{}
			out = append(out, a)
		}
	}
	return out
}
