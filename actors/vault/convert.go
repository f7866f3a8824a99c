package vault

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
)

// entry reads a path's index entry; nil when the path has none.
func (c *core) entry(tx *txn, path string) *storev1.PathEntry {
	e := &storev1.PathEntry{}
	if !tx.load(c.keys.path(path), e) {
		return nil
	}
	return e
}

// openVersion reads and decrypts the version at addr.
func (c *core) openVersion(tx *txn, addr []byte) (*storev1.Version, error) {
	sealed, ok := tx.get(c.keys.version(addr))
	if !ok {
		return nil, fmt.Errorf("vault %s: version %x is indexed but missing", c.id, addr)
	}
	plain, err := c.rc.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("vault %s: version %x: %w", c.id, addr, err)
	}
	ver := &storev1.Version{}
	return ver, unmarshal(plain, ver)
}

// find returns the newest retained version of path whose content hash or address is h; a nil
// address when there is none.
func (c *core) find(tx *txn, path string, e *storev1.PathEntry, h []byte) ([]byte, *storev1.Version, error) {
	if e == nil {
		return nil, nil, nil
	}
	for _, item := range slices.Backward(tx.scanAll(c.keys.history(path))) {
		ver, err := c.openVersion(tx, item.val)
		if err != nil {
			return nil, nil, err
		}
		if bytes.Equal(item.val, h) || bytes.Equal(ver.ContentHash, h) {
			return item.val, ver, nil
		}
	}
	return nil, nil, nil
}

// listInfo is a listing's FileInfo, from the path index alone.
func listInfo(path string, e *storev1.PathEntry) messages.FileInfo {
	return messages.FileInfo{
		Path: path, Size: e.Size, ContentHash: hexOf(e.ContentHash), MD5: hexOf(e.Md5), ContentType: e.ContentType,
		MtimeMs: e.MtimeMs, Author: e.Author, Version: hexOf(e.Head), Heads: hexes(e.Heads), Conflict: len(e.Heads) > 1,
		Deleted: e.Deleted, UpdatedMs: e.UpdatedMs, VersionCount: int(e.Versions),
	}
}

// fullInfo is the FileInfo of version ver (at addr) of the path whose entry is e.
func fullInfo(e *storev1.PathEntry, addr []byte, ver *storev1.Version) messages.FileInfo {
	info := listInfo(ver.Path, e)
	info.Size, info.ContentHash, info.MD5, info.ContentType = ver.Size, hexOf(ver.ContentHash), hexOf(ver.Md5), ver.ContentType
	info.MtimeMs, info.Author, info.Version, info.Deleted = ver.MtimeMs, ver.Author, hexOf(addr), ver.Deleted
	info.Meta, info.Parents = ver.Meta, hexes(ver.Parents)
	return info
}

func versionInfo(addr []byte, ver *storev1.Version, heads [][]byte) messages.VersionInfo {
	return messages.VersionInfo{
		Version: hexOf(addr), ContentHash: hexOf(ver.ContentHash), MD5: hexOf(ver.Md5), Size: ver.Size,
		ContentType: ver.ContentType, MtimeMs: ver.MtimeMs, Author: ver.Author, CreatedMs: ver.CreatedMs,
		Deleted: ver.Deleted, Parents: hexes(ver.Parents), Head: containsAddr(heads, addr),
	}
}

func manifestOf(ver *storev1.Version) messages.Manifest {
	m := messages.Manifest{Size: ver.Size}
	copy(m.ContentHash[:], ver.ContentHash)
	copy(m.MD5[:], ver.Md5)
	for _, b := range ver.Blocks {
		ref := messages.BlockRef{Size: b.Size}
		copy(ref.Addr[:], b.Addr)
		copy(ref.Secret[:], b.Secret)
		m.Blocks = append(m.Blocks, ref)
	}
	return m
}

// fileEvent is a file event's data: names and hashes, never content.
func (c *core) fileEvent(addr []byte, ver *storev1.Version) map[string]any {
	data := map[string]any{"vault_id": c.id, "path": ver.Path, "version": hexOf(addr)}
	if !ver.Deleted {
		data["size"], data["content_hash"], data["content_type"], data["author"] = ver.Size, hexOf(ver.ContentHash), ver.ContentType, ver.Author
	}
	return data
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func hexes(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = hexOf(b)
	}
	return out
}

func containsAddr(list [][]byte, a []byte) bool {
	return slices.ContainsFunc(list, func(x []byte) bool { return bytes.Equal(x, a) })
}

// parseHash reads a 64-hex-character hash named by field.
func parseHash(field, s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ToLower(s))
	if err != nil || len(b) != 32 {
		return nil, messages.Invalid(field, "%q is not a hash: want 64 hex characters", s)
	}
	return b, nil
}
