package vault

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// defaultContentType is a version's content type when the upload names none.
const defaultContentType = "application/octet-stream"

// beginUpload admits an upload: path, If-Match, Base and, with a known size, the quota — all
// before any byte is stored. The grant's budget counts what retention will free on the path.
func (c *core) beginUpload(m messages.BeginUpload, v persist.View) any {
	if err := checkPath(m.Path); err != nil {
		return err
	}
	if m.Size < -1 {
		return messages.Invalid("size", "must not be negative")
	}
	tx := newTxn(v)
	if err := c.folderClash(tx, v, m.Path); err != nil {
		return err
	}
	e := c.entry(tx, m.Path)
	if m.IfNoneMatch && e != nil && !e.Deleted {
		return errExists(m.Path)
	}
	parents, err := c.parents(tx, m.Path, e, m.IfMatch, m.Base)
	if err != nil {
		return err
	}
	freed, err := c.freed(tx, m.Path, e, parents)
	if err != nil {
		return err
	}
	hard := c.policy.HardQuota
	grant := messages.UploadGrant{VaultID: c.id, Key: c.key, HardQuota: hard, Used: c.usage.Bytes - freed, Remaining: -1}
	if hard > 0 {
		grant.Remaining = max(max(hard, c.usage.Bytes)-grant.Used, 0) // a change that shrinks usage is allowed
		if m.Size >= 0 {
			if err := grant.Over(m.Size); err != nil {
				return err
			}
		}
	}
	return grant
}

// errExists refuses a create-only write (IfNoneMatch) of a path that has a live version.
func errExists(path string) error {
	return fmt.Errorf("%w: %s exists (the write was create-only)", messages.ErrPreconditionFailed, path)
}

// folderClash refuses, in a folder vault, a file whose path a live file's folder would need
// (/a/b while /a is a file) or that would need a live file's path as its folder (/a while
// /a/b exists): the real folder cannot hold a file and a folder of one name. Other vaults
// hold both, as S3 does.
func (c *core) folderClash(tx *txn, v persist.View, path string) error {
	if c.meta == nil || c.meta.Folder == "" {
		return nil
	}
	for i := 1; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		if e := c.entry(tx, path[:i]); e != nil && !e.Deleted {
			return fmt.Errorf("%w: %s: %s is a file in this folder vault, so it cannot also be a folder", messages.ErrConflict, path, path[:i])
		}
	}
	var under string
	v.Scan(persist.Catalog, c.keys.path(path+"/"), "", func(k string, val []byte) bool {
		e := &storev1.PathEntry{}
		if unmarshal(val, e) == nil && !e.Deleted {
			under = c.keys.pathOf(k)
			return false
		}
		return true
	})
	if under != "" {
		return fmt.Errorf("%w: %s: it is a folder in this folder vault (%s is in it), so it cannot also be a file", messages.ErrConflict, path, under)
	}
	return nil
}

// freed is the size of the versions retention will prune from path once a version with
// these parents is committed.
func (c *core) freed(tx *txn, path string, e *storev1.PathEntry, parents [][]byte) (int64, error) {
	if e == nil {
		return 0, nil
	}
	heads := slices.DeleteFunc(slices.Clone(e.Heads), func(h []byte) bool { return containsAddr(parents, h) })
	open := func(a []byte) (*storev1.Version, error) { return c.openVersion(tx, a) }
	drop, err := prunable(tx.scanAll(c.keys.history(path)), heads, 1, int(c.policy.KeepVersions), open)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, h := range drop {
		ver, err := c.openVersion(tx, h.val)
		if err != nil {
			return 0, err
		}
		n += ver.Size
	}
	return n, nil
}

// commitUpload records the version an upload produced. A head with the same content, type
// and metadata is answered as is, so a retried commit writes nothing twice.
func (c *core) commitUpload(ms int64, m messages.CommitUpload, v persist.View) host.Output {
	if err := checkCommit(m); err != nil {
		return host.Output{Reply: err}
	}
	ct := m.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	ch := c.begin(v, ms)
	e := c.entry(ch.tx, m.Path)
	if m.IfNoneMatch && e != nil && !e.Deleted { // before sameHead: the same bytes written by another still exist
		return host.Output{Reply: errExists(m.Path)}
	}
	if info, ok := c.sameHead(ch.tx, m.Path, e, ct, m); ok {
		return host.Output{Reply: info}
	}
	if err := c.folderClash(ch.tx, v, m.Path); err != nil {
		return host.Output{Reply: err}
	}
	parents, err := c.parents(ch.tx, m.Path, e, m.IfMatch, m.Base)
	if err != nil {
		return host.Output{Reply: err}
	}
	mf := m.Manifest
	ver := &storev1.Version{
		Path: m.Path, Size: mf.Size, ContentHash: bytes.Clone(mf.ContentHash[:]), Md5: bytes.Clone(mf.MD5[:]),
		ContentType: ct, Meta: maps.Clone(m.Meta), Parents: parents, MtimeMs: m.MtimeMs, Author: m.Author,
	}
	if ver.MtimeMs == 0 {
		ver.MtimeMs = ms
	}
	if ver.Author == "" {
		ver.Author = c.deps.NodeID
	}
	for _, b := range mf.Blocks {
		ver.Blocks = append(ver.Blocks, &storev1.BlockRef{Addr: bytes.Clone(b.Addr[:]), Size: b.Size, Secret: bytes.Clone(b.Secret[:])})
	}
	ne, addr, err := ch.addVersion(e, ver)
	if err != nil {
		return host.Output{Reply: err}
	}
	if err := ch.overQuota(); err != nil {
		return host.Output{Reply: err}
	}
	typ := "file_updated"
	if e == nil || e.Deleted {
		typ = "file_added"
	}
	ch.event(typ, c.fileEvent(addr, ver))
	ch.conflictEvents(m.Path, e, ne, addr)
	return ch.done(fullInfo(ne, addr, ver))
}

// sameHead finds a commit already done: the shown head has the same content and metadata.
func (c *core) sameHead(tx *txn, path string, e *storev1.PathEntry, ct string, m messages.CommitUpload) (messages.FileInfo, bool) {
	if e == nil || e.Deleted || e.Size != m.Manifest.Size || e.ContentType != ct || !bytes.Equal(e.ContentHash, m.Manifest.ContentHash[:]) {
		return messages.FileInfo{}, false
	}
	ver, err := c.openVersion(tx, e.Head)
	if err != nil || !maps.Equal(ver.Meta, m.Meta) || (m.MtimeMs != 0 && ver.MtimeMs != m.MtimeMs) {
		return messages.FileInfo{}, false
	}
	return fullInfo(e, e.Head, ver), true
}

// parents checks If-Match against the shown head and picks a new version's parents: the
// Base version (a client that edited an older version), else the heads.
func (c *core) parents(tx *txn, path string, e *storev1.PathEntry, ifMatch, base string) ([][]byte, error) {
	if ifMatch != "" {
		h, err := parseHash("if_match", ifMatch)
		if err != nil {
			return nil, err
		}
		if e == nil || e.Deleted || !bytes.Equal(e.ContentHash, h) {
			return nil, fmt.Errorf("%w: %s changed: its head is no longer %s", messages.ErrPreconditionFailed, path, ifMatch)
		}
	}
	if base == "" {
		if e == nil {
			return nil, nil
		}
		return slices.Clone(e.Heads), nil
	}
	h, err := parseHash("base", base)
	if err != nil {
		return nil, err
	}
	addr, _, err := c.find(tx, path, e, h)
	if err != nil {
		return nil, err
	}
	if addr == nil {
		return nil, fmt.Errorf("%w: the base version %s is not in the history of %s", messages.ErrPreconditionFailed, base, path)
	}
	return [][]byte{addr}, nil
}

// conflictEvents reports a path that gained a head beside another, or went back to one head.
func (ch *change) conflictEvents(path string, old, next *storev1.PathEntry, addr []byte) {
	before := len(old.GetHeads())
	switch n := len(next.Heads); {
	case n > 1 && n > before:
		ch.event("conflict_detected", map[string]any{"vault_id": ch.c.id, "path": path, "heads": hexes(next.Heads)})
	case n == 1 && before > 1:
		ch.event("conflict_resolved", map[string]any{"vault_id": ch.c.id, "path": path, "version": hexOf(addr), "heads": hexes(old.Heads)})
	}
}
