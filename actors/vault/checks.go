package vault

import (
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// Limits the core enforces itself; http/api checks paths in full (CleanVaultPath) before.
const (
	maxPathBytes   = 4096
	maxMetaEntries = 64
	maxMetaBytes   = 8 << 10
)

// checkPath refuses what would break the catalog's keys: a path must start with "/", name
// something and hold no NUL (the history key separator).
func checkPath(p string) error {
	switch {
	case len(p) < 2 || p[0] != '/':
		return messages.Invalid("path", "%q must start with / and name a file", p)
	case len(p) > maxPathBytes:
		return messages.Invalid("path", "longer than %d bytes", maxPathBytes)
	case strings.IndexByte(p, 0) >= 0:
		return messages.Invalid("path", "has a NUL character")
	}
	return nil
}

// checkCommit validates a commit's path, manifest and user metadata.
func checkCommit(m messages.CommitUpload) error {
	if err := checkPath(m.Path); err != nil {
		return err
	}
	mf := m.Manifest
	var sum int64
	for i, b := range mf.Blocks {
		if b.Size == 0 {
			return messages.Invalid("manifest", "block %d is empty", i)
		}
		sum += int64(b.Size)
	}
	switch {
	case mf.Size < 0 || sum != mf.Size:
		return messages.Invalid("manifest", "size %d is not the sum of its blocks (%d)", mf.Size, sum)
	case mf.ContentHash == [32]byte{}:
		return messages.Invalid("manifest", "has no content hash")
	case len(m.Meta) > maxMetaEntries:
		return messages.Invalid("meta", "more than %d entries", maxMetaEntries)
	}
	n := 0
	for k, v := range m.Meta {
		if k == "" {
			return messages.Invalid("meta", "has an empty key")
		}
		n += len(k) + len(v)
	}
	if n > maxMetaBytes {
		return messages.Invalid("meta", "larger than %d bytes", maxMetaBytes)
	}
	return messages.CheckName("content_type", m.ContentType, 255, false)
}
