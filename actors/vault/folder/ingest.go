package folder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
)

// ingest commits the file at rel as vp's new version through the API's pipeline, unless it changes while read.
func (s *Scanner) ingest(rel, vp string, fi fs.FileInfo, ifMatch string) error {
	abs := filepath.Join(s.root, rel)
	grant, err := ask[messages.UploadGrant](s.ctx, s, messages.BeginUpload{Path: vp, Size: fi.Size(), IfMatch: ifMatch})
	if err != nil {
		return s.fileErr(rel, vp, err)
	}
	f, err := openFile(abs)
	if err != nil {
		if gone(err) {
			return nil // its event will tell
		}
		return s.fileErr(rel, vp, err)
	}
	defer f.Close()
	if now, err := f.Stat(); err != nil || !sameFile(now, fi) {
		s.requeue(rel)
		return nil
	}
	limit := s.deps.MaxUpload
	if grant.Remaining >= 0 && grant.Remaining < limit {
		limit = grant.Remaining
	}
	up, err := files.Ingest(s.ctx, f, files.IngestConfig{Key: grant.Key, Store: s.deps.Blocks, Pins: s.deps.Pins,
		Limit: limit, Workers: s.cfg.Workers, Reclaim: s.deps.Reclaim})
	var tooLarge *files.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && limit < s.deps.MaxUpload:
		return s.fileErr(rel, vp, grant.Over(tooLarge.Read))
	case errors.As(err, &tooLarge):
		return s.fileErr(rel, vp, fmt.Errorf("larger than %d bytes: not mirrored", s.deps.MaxUpload))
	case err != nil:
		return s.fileErr(rel, vp, err)
	}
	if after, err := os.Lstat(abs); err != nil || !sameFile(after, fi) {
		up.Abort() // changed while read: a torn version is never committed
		s.requeue(rel)
		return nil
	}
	if err := files.CheckBlocks(s.deps.Blocks, up.Manifest); err != nil {
		up.Abort()
		return s.fileErr(rel, vp, err)
	}
	_, err = ask[messages.FileInfo](s.ctx, s, messages.CommitUpload{Path: vp, Manifest: up.Manifest,
		ContentType: files.ContentType(filepath.Base(abs), up.Head), MtimeMs: diskMtime(fi), Author: s.deps.NodeID, IfMatch: ifMatch})
	if errors.Is(err, messages.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		up.Linger(time.Minute) // the commit may still land: keep its blocks pinned a while
	} else {
		up.Done()
	}
	if err != nil {
		return s.fileErr(rel, vp, err)
	}
	s.count(&s.st.Ingested)
	s.log.Debug("ingested from the folder", "path", vp, "size", fi.Size())
	return nil
}

// fileErr returns an error that ends the pass, requeues a file whose head moved, and counts the rest.
func (s *Scanner) fileErr(rel, vp string, err error) error {
	switch {
	case s.ctx.Err() != nil:
		return errStopped
	case errors.Is(err, messages.ErrPreconditionFailed):
		s.requeue(rel)
		return nil
	case errors.Is(err, messages.ErrLocked) || errors.Is(err, messages.ErrNotFound) || transient(err):
		return fmt.Errorf("ingest %s: %w", vp, err)
	}
	s.fail(fmt.Errorf("ingest %s: %w", vp, err))
	return nil
}
