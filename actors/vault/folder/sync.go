package folder

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// entry is what the vault's index says about a live path.
type entry struct {
	size, mtime, updated int64
	hash                 string
}

// pass is one sync of a subtree: the index under its prefix, what the walk found, what it could not read.
type pass struct {
	since int64 // ms: only entries committed before the pass may be tombstoned
	index map[string]entry
	seen  map[string]bool
	blind []string // vault prefixes not read: nothing under them is tombstoned
}

// syncTree makes the vault agree with the folder at rel (full: the whole folder); errors end the pass.
func (s *Scanner) syncTree(rel string, full bool) error {
	since := time.Now().UnixMilli()
	prefix := "/"
	if !full {
		vp, err := vaultPath(rel)
		if err != nil {
			s.fail(err)
			return nil
		}
		prefix = vp
	}
	index, err := s.listIndex(prefix)
	if err != nil {
		return err
	}
	p := &pass{since: since, index: index, seen: map[string]bool{}}
	abs := filepath.Join(s.root, rel)
	if full {
		fi, err := os.Stat(abs) // the folder itself may be a symlink
		switch {
		case err != nil:
			return fmt.Errorf("folder %s: %w: nothing deleted", s.root, err)
		case !fi.IsDir():
			return fmt.Errorf("folder %s is not a directory: nothing deleted", s.root)
		}
		s.pruneWatches()
		if err := s.walk(abs+string(filepath.Separator), p); err != nil {
			return err
		}
		if len(p.seen) == 0 && len(p.index) > 0 {
			return fmt.Errorf("folder %s is empty but the vault holds %d files: nothing deleted (is a drive unmounted?)", s.root, len(p.index))
		}
		return s.tombstone(p)
	}
	fi, err := os.Lstat(abs)
	switch {
	case err == nil && fi.IsDir():
		err = s.walk(abs, p)
	case err == nil && fi.Mode().IsRegular():
		err = s.visit(rel, fi, p)
	case err != nil && !gone(err):
		s.fail(err)
		return nil
	default: // gone, a symlink or a special file: nothing of the folder is there
		err = nil
	}
	if err != nil {
		return err
	}
	return s.tombstone(p)
}

// walk visits every regular file under abs and watches every directory; unreadable ones shield their paths.
func (s *Scanner) walk(abs string, p *pass) error {
	return filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if s.ctx.Err() != nil {
			return errStopped
		}
		rel, rerr := filepath.Rel(s.root, path)
		if rerr != nil {
			return rerr
		}
		if err != nil && gone(err) {
			return nil // gone while walked: tombstone tells
		}
		if err != nil {
			prefix := "/"
			if rel != "." {
				prefix = "/" + filepath.ToSlash(rel)
			}
			p.blind = append(p.blind, prefix)
			s.fail(fmt.Errorf("read %s: %w", path, err))
			return nil
		}
		switch {
		case d.IsDir():
			s.watch(filepath.Join(s.root, rel))
			return nil
		case !d.Type().IsRegular() || isTemp(d.Name()):
			return nil // symlinks, FIFOs, sockets, devices and Mirror's temp files are not mirrored
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone since it was listed: its event will tell
		}
		return s.visit(rel, fi, p)
	})
}

// visit ingests one regular file unless the index already has its size and mtime.
func (s *Scanner) visit(rel string, fi fs.FileInfo, p *pass) error {
	vp, err := vaultPath(rel)
	if err != nil {
		s.fail(err)
		return nil
	}
	p.seen[vp] = true
	s.count(&s.st.Walked)
	if s.isWriting(vp) {
		return nil
	}
	e, ok := p.index[vp]
	if ok && e.size == fi.Size() && e.mtime == diskMtime(fi) {
		return nil
	}
	return s.ingest(rel, vp, fi, e.hash)
}

// tombstone deletes from the vault the live paths of the pass that the folder no longer has.
func (s *Scanner) tombstone(p *pass) error {
	for vp, e := range p.index {
		if p.seen[vp] || e.updated >= p.since || s.isWriting(vp) || s.shielded(vp, p.blind) {
			continue
		}
		rel, err := relPath(vp)
		if err != nil {
			continue // never mirrored, so never missing
		}
		fi, err := os.Lstat(filepath.Join(s.root, rel))
		switch {
		case err == nil && fi.Mode().IsRegular():
			continue // back since the walk: its event will tell
		case err != nil && !gone(err):
			continue // cannot tell: keep it
		}
		_, err = ask[messages.FileInfo](s.ctx, s, messages.DeleteFile{Path: vp})
		switch {
		case err == nil:
			s.count(&s.st.Deleted)
			s.log.Debug("deleted from the vault: gone from the folder", "path", vp)
		case errors.Is(err, messages.ErrNotFound):
		case errors.Is(err, messages.ErrLocked) || transient(err) || s.ctx.Err() != nil:
			return err
		default:
			s.fail(fmt.Errorf("delete %s: %w", vp, err))
		}
	}
	return nil
}

// shielded reports whether vp is under a directory the walk could not read.
func (s *Scanner) shielded(vp string, blind []string) bool {
	for _, b := range blind {
		if under(vp, b) {
			return true
		}
	}
	return false
}

// listIndex reads the vault's live paths under prefix, page by page.
func (s *Scanner) listIndex(prefix string) (map[string]entry, error) {
	index := map[string]entry{}
	cursor := ""
	for {
		page, err := ask[messages.FileList](s.ctx, s, messages.ListFiles{Prefix: prefix, Cursor: cursor, Limit: 10000})
		if err != nil {
			return nil, fmt.Errorf("list the vault: %w", err)
		}
		for _, f := range page.Files {
			index[f.Path] = entry{size: f.Size, mtime: f.MtimeMs, updated: f.UpdatedMs, hash: f.ContentHash}
		}
		if page.NextCursor == "" {
			return index, nil
		}
		cursor = page.NextCursor
	}
}
