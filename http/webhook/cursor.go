package webhook

import (
	"encoding/binary"
	"fmt"

	"github.com/meshhold/meshhold/persist"
)

// CursorKey is the persist.Meta key of webhook name's cursor: the log_seq of the last event it
// is done with (delivered, refused for good, or not matching), 8 bytes big-endian.
func CursorKey(name string) string { return "webhook/" + name + "/cursor" }

// LoadCursor reads webhook name's cursor from store; ok is false when none was ever stored.
func LoadCursor(store persist.Store, name string) (cursor uint64, ok bool, err error) {
	err = persist.ReadWith(store, func(v persist.View) error {
		b, found := v.Get(persist.Meta, CursorKey(name))
		if !found {
			return nil
		}
		if len(b) != 8 {
			return fmt.Errorf("webhook %s: cursor record has %d bytes, want 8", name, len(b))
		}
		cursor, ok = binary.BigEndian.Uint64(b), true
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("webhook %s: read cursor: %w", name, err)
	}
	return cursor, ok, nil
}

// SaveCursor makes webhook name's cursor durable: it returns once the commit is on disk.
func SaveCursor(store persist.Committer, name string, cursor uint64) error {
	w := persist.Write{Bucket: persist.Meta, Key: CursorKey(name), Value: binary.BigEndian.AppendUint64(nil, cursor)}
	if err := store.Commit([]persist.Write{w}); err != nil {
		return fmt.Errorf("webhook %s: save cursor %d: %w", name, cursor, err)
	}
	return nil
}
