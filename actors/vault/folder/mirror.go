package folder

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
)

// Mirror writes vp's shown head into the folder atomically with its mtime, or removes the file for a tombstone.
func (s *Scanner) Mirror(vp string) error {
	err := s.mirror(vp)
	if err != nil {
		s.fail(fmt.Errorf("write %s into the folder: %w", vp, err))
	}
	return err
}

func (s *Scanner) mirror(vp string) error {
	rel, err := relPath(vp)
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.setWriting(vp, 1)
	defer s.setWriting(vp, -1)
	head, err := ask[messages.FileInfo](s.ctx, s, messages.StatFile{Path: vp, IncludeDeleted: true})
	if err != nil {
		return err
	}
	if fi, err := os.Stat(s.root); err != nil || !fi.IsDir() {
		return fmt.Errorf("the folder %s is missing", s.root) // never created here: it may be an unmounted drive
	}
	abs := filepath.Join(s.root, rel)
	if head.Deleted {
		return removeFile(abs)
	}
	rd, err := ask[messages.Readable](s.ctx, s, messages.OpenVersion{Path: vp, ContentHash: head.Version})
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode().IsRegular() && fi.Size() == rd.File.Size && diskMtime(fi) == rd.File.MtimeMs {
		return nil // already there
	}
	return s.writeFile(abs, rd)
}

// writeFile writes a version to abs: a synced temp file beside it, given its mtime, renamed over it.
func (s *Scanner) writeFile(abs string, rd messages.Readable) (err error) {
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Lstat(abs); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, tempPattern(filepath.Base(abs)))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	r, err := files.NewReader(s.ctx, s.deps.Blocks, rd.Manifest)
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err = io.Copy(tmp, r); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	mtime := time.UnixMilli(rd.File.MtimeMs)
	if err = os.Chtimes(tmp.Name(), mtime, mtime); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), abs); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// removeFile removes a regular file; anything else at that path is left alone.
func removeFile(abs string) error {
	fi, err := os.Lstat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// syncDir makes a rename durable, where the platform allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// setWriting marks vp as being written by Mirror (n = 1) or done (n = -1).
func (s *Scanner) setWriting(vp string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing[vp] += n; s.writing[vp] <= 0 {
		delete(s.writing, vp)
	}
}

// isWriting reports whether Mirror is writing vp.
func (s *Scanner) isWriting(vp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writing[vp] > 0
}
