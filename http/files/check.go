package files

import (
	"fmt"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// CheckBlocks verifies every block of m has a non-empty file in store: run it after Ingest,
// before asking the vault to commit (the pins keep the blocks until the commit ends).
func CheckBlocks(store persist.BlockStore, m messages.Manifest) error {
	seen := make(map[messages.BlockAddr]bool, len(m.Blocks))
	var total int64
	for i, b := range m.Blocks {
		total += int64(b.Size)
		if seen[b.Addr] {
			continue
		}
		seen[b.Addr] = true
		ok, err := store.Has(persist.Address(b.Addr))
		if err != nil {
			return fmt.Errorf("files: checking block %d: %w", i, err)
		}
		if !ok {
			return fmt.Errorf("files: block %d (%s): %w", i, b.Addr, persist.ErrBlockMissing)
		}
	}
	if total != m.Size {
		return fmt.Errorf("files: manifest blocks hold %d bytes, size says %d", total, m.Size)
	}
	return nil
}
