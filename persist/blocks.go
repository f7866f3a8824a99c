package persist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Address names a block: the SHA-256 of its ciphertext, verified on every read.
type Address [32]byte

// AddressOf computes the address of data.
func AddressOf(data []byte) Address { return sha256.Sum256(data) }

// String renders the address as 64 lowercase hex characters.
func (a Address) String() string { return hex.EncodeToString(a[:]) }

// ParseAddress reads 64 hex characters.
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) != 64 {
		return a, fmt.Errorf("block address %q: want 64 hex characters", s)
	}
	if _, err := hex.Decode(a[:], []byte(s)); err != nil {
		return a, fmt.Errorf("block address %q: %w", s, err)
	}
	return a, nil
}

// BlockStore keeps ciphertext blocks by address, outside the record store. Put is not durable
// by itself: the committer calls Sync once for a whole commit group, right before the record
// transaction that references the group's blocks.
type BlockStore interface {
	// Put stores data under a, its address; storing an address already present is a no-op.
	Put(a Address, data []byte) error
	// Get returns the block, verified against a. A missing, empty or corrupt block file is
	// ErrBlockMissing: it is never served.
	Get(a Address) ([]byte, error)
	// Has reports whether a valid-looking block file exists for a (its size is not zero).
	Has(a Address) (bool, error)
	// Delete removes the block; deleting a missing block is not an error.
	Delete(a Address) error
	// Sync makes every Put that returned before it was called durable.
	Sync() error
}

// ErrBlockMissing reports a block that is absent, empty or does not match its address.
var ErrBlockMissing = errors.New("persist: block missing or corrupt")
