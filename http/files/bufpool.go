package files

import (
	"sync"

	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// Block buffers come in two classes, each large enough for a sealed block of its size.
const (
	smallBuf = chunk.Small + vaultcrypt.BlockOverhead
	largeBuf = chunk.Large + vaultcrypt.BlockOverhead
)

var bufPools = [2]sync.Pool{
	{New: func() any { b := make([]byte, smallBuf); return &b }},
	{New: func() any { b := make([]byte, largeBuf); return &b }},
}

// getBuf returns a pooled buffer of at least n bytes (n ≤ largeBuf; larger ones are allocated).
func getBuf(n int) []byte {
	switch {
	case n <= smallBuf:
		return *bufPools[0].Get().(*[]byte)
	case n <= largeBuf:
		return *bufPools[1].Get().(*[]byte)
	}
	return make([]byte, n)
}

// putBuf returns a buffer to its pool (odd sizes are left to the garbage collector).
func putBuf(b []byte) {
	b = b[:cap(b)]
	switch cap(b) {
	case smallBuf:
		bufPools[0].Put(&b)
	case largeBuf:
		bufPools[1].Put(&b)
	}
}
