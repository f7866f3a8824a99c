package vault

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

var (
	errFileNotFound    = messages.NotFound("file")
	errVersionNotFound = messages.NotFound("version")
)

// stat answers a path's shown head with its blocks and, on request, its DAG.
func (c *core) stat(m messages.StatFile, v persist.View) any {
	tx := newTxn(v)
	e := c.entry(tx, m.Path)
	if e == nil || (e.Deleted && !m.IncludeDeleted) {
		return errFileNotFound
	}
	ver, err := c.openVersion(tx, e.Head)
	if err != nil {
		return err
	}
	info := fullInfo(e, e.Head, ver)
	for _, b := range ver.Blocks {
		info.Blocks = append(info.Blocks, hexOf(b.Addr))
	}
	if m.Versions {
		if info.Versions, err = c.versions(tx, m.Path, e); err != nil {
			return err
		}
	}
	return info
}

// history answers a path's retained versions, newest first.
func (c *core) history(m messages.GetHistory, v persist.View) any {
	tx := newTxn(v)
	e := c.entry(tx, m.Path)
	if e == nil {
		return errFileNotFound
	}
	vs, err := c.versions(tx, m.Path, e)
	if err != nil {
		return err
	}
	return messages.FileHistory{Path: m.Path, Versions: vs}
}

// versions lists a path's retained versions newest first: by (created_ms, addr), the order
// every node that holds them agrees on (locally, the order they were committed in).
func (c *core) versions(tx *txn, path string, e *storev1.PathEntry) ([]messages.VersionInfo, error) {
	hist := tx.scanAll(c.keys.history(path))
	out := make([]messages.VersionInfo, 0, len(hist))
	created := make(map[string]int64, len(hist))
	for _, h := range hist {
		ver, err := c.openVersion(tx, h.val)
		if err != nil {
			return nil, err
		}
		info := versionInfo(h.val, ver, e.Heads)
		created[info.Version] = ver.CreatedMs
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b messages.VersionInfo) int {
		return cmp.Or(cmp.Compare(created[b.Version], created[a.Version]), strings.Compare(b.Version, a.Version))
	})
	return out, nil
}

// openForRead answers what a download needs: the key, the manifest and the file's info.
func (c *core) openForRead(m messages.OpenVersion, v persist.View) any {
	tx := newTxn(v)
	e := c.entry(tx, m.Path)
	if e == nil {
		return errFileNotFound
	}
	addr := e.Head
	if m.ContentHash == "" && e.Deleted {
		return errFileNotFound
	}
	var ver *storev1.Version
	var err error
	if m.ContentHash == "" {
		ver, err = c.openVersion(tx, addr)
	} else {
		addr, ver, err = c.findHex(tx, m.Path, e, "content_hash", m.ContentHash)
	}
	if err != nil {
		return err
	}
	if ver.Deleted {
		return errVersionNotFound
	}
	return messages.Readable{Key: c.key, Manifest: manifestOf(ver), File: fullInfo(e, addr, ver)}
}

// findHex finds the newest version of path whose content hash or address is the hex s.
func (c *core) findHex(tx *txn, path string, e *storev1.PathEntry, field, s string) ([]byte, *storev1.Version, error) {
	h, err := parseHash(field, s)
	if err != nil {
		return nil, nil, err
	}
	addr, ver, err := c.find(tx, path, e, h)
	if err == nil && addr == nil {
		err = errVersionNotFound
	}
	return addr, ver, err
}

// deleteFile writes a tombstone whose parents are the heads.
func (c *core) deleteFile(ms int64, m messages.DeleteFile, v persist.View) host.Output {
	ch := c.begin(v, ms)
	e := c.entry(ch.tx, m.Path)
	if e == nil || e.Deleted && len(e.Heads) == 1 {
		return host.Output{Reply: errFileNotFound}
	}
	ver := &storev1.Version{Path: m.Path, Parents: slices.Clone(e.Heads), MtimeMs: ms, Author: c.deps.NodeID, Deleted: true}
	return c.derived(ch, e, ver, "file_deleted", nil)
}

// restore writes a new version with an older version's content, its parents the heads:
// heads never move backwards.
func (c *core) restore(ms int64, m messages.RestoreFile, v persist.View) host.Output {
	ch := c.begin(v, ms)
	e := c.entry(ch.tx, m.Path)
	if e == nil {
		return host.Output{Reply: errFileNotFound}
	}
	from, old, err := c.findHex(ch.tx, m.Path, e, "content_hash", m.ContentHash)
	if err != nil {
		return host.Output{Reply: err}
	}
	if old.Deleted {
		return host.Output{Reply: messages.Invalid("content_hash", "names a deletion: choose a version with content")}
	}
	if len(e.Heads) == 1 && !e.Deleted && bytes.Equal(e.ContentHash, old.ContentHash) {
		head, err := c.openVersion(ch.tx, e.Head)
		if err != nil {
			return host.Output{Reply: err}
		}
		return host.Output{Reply: fullInfo(e, e.Head, head)} // already the content of the head
	}
	if e.Deleted {
		if err := c.folderClash(ch.tx, v, m.Path); err != nil { // a folder took its name meanwhile
			return host.Output{Reply: err}
		}
	}
	return c.derived(ch, e, copyContent(old, e.Heads, c.deps.NodeID), "file_restored", from)
}

// resolve settles a conflict with the content of one head; the new version's parents are all heads.
func (c *core) resolve(ms int64, m messages.ResolveConflict, v persist.View) host.Output {
	ch := c.begin(v, ms)
	e := c.entry(ch.tx, m.Path)
	if e == nil {
		return host.Output{Reply: errFileNotFound}
	}
	if len(e.Heads) < 2 {
		return host.Output{Reply: fmt.Errorf("%w: %s has no conflict to resolve", messages.ErrConflict, m.Path)}
	}
	h, err := parseHash("content_hash", m.ContentHash)
	if err != nil {
		return host.Output{Reply: err}
	}
	for _, head := range e.Heads {
		ver, err := c.openVersion(ch.tx, head)
		if err != nil {
			return host.Output{Reply: err}
		}
		if bytes.Equal(ver.ContentHash, h) || bytes.Equal(head, h) {
			return c.derived(ch, e, copyContent(ver, e.Heads, c.deps.NodeID), "", head)
		}
	}
	return host.Output{Reply: fmt.Errorf("%s is not a head of %s: %w", m.ContentHash, m.Path, errVersionNotFound)}
}

// derived commits a version made from the catalog (a tombstone, a restore, a resolution),
// refused only when it would exceed the quota; typ "" reports only the conflict events.
func (c *core) derived(ch *change, e *storev1.PathEntry, ver *storev1.Version, typ string, from []byte) host.Output {
	ne, addr, err := ch.addVersion(e, ver)
	if err != nil {
		return host.Output{Reply: err}
	}
	if err := ch.overQuota(); err != nil {
		return host.Output{Reply: err}
	}
	if typ != "" {
		data := c.fileEvent(addr, ver)
		if from != nil {
			data["restored_from"] = hexOf(from)
		}
		ch.event(typ, data)
	}
	ch.conflictEvents(ver.Path, e, ne, addr)
	return ch.done(fullInfo(ne, addr, ver))
}

// copyContent is a new version with src's content and metadata, following parents.
func copyContent(src *storev1.Version, parents [][]byte, author string) *storev1.Version {
	return &storev1.Version{
		Path: src.Path, Size: src.Size, ContentHash: src.ContentHash, Md5: src.Md5, ContentType: src.ContentType,
		Meta: maps.Clone(src.Meta), Parents: slices.Clone(parents), MtimeMs: src.MtimeMs, Author: author,
		Deleted: src.Deleted, Blocks: src.Blocks,
	}
}
