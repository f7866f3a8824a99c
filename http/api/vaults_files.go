package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
)

// FileDeps are the byte side of the files routes: where blocks live and the pins that keep an
// upload's blocks from the collector until its commit ends.
type FileDeps struct {
	Blocks persist.BlockStore
	// ReadBlocks, if set, is what downloads read from: the daemon's fetches a block this node
	// lacks from the peers holding it (only the blocks a range covers). nil: Blocks.
	ReadBlocks persist.BlockStore
	Pins       *blockgc.Pins
	Reclaim    files.Reclaimer // deletes a failed upload's blocks at once; optional
	MaxUpload  int64           // 0: files.MaxUploadSize (50 GiB)
	// Written, when set, is told of every committed upload (folder vaults write it into their
	// folder too).
	Written func(ctx context.Context, vaultID string, f messages.FileInfo)
}

// Headers of the files routes beyond the standard ones.
const (
	BaseHeader  = "X-MeshHold-Base"  // content hash of the version an upload edited
	MtimeHeader = "X-MeshHold-Mtime" // the file's modification time, ms since the epoch
	MetaPrefix  = "X-MeshHold-Meta-" // user metadata, one header per key
)

// filePath is the vault path of a `*path` route whose fixed part is /vaults/<id>/<verb>/.
func filePath(r *http.Request, verb string) (string, error) {
	return VaultPath(r, Prefix+"/vaults/"+routeID(r)+"/"+verb+"/")
}

func (v *Vaults) vaultAsk(r *http.Request, msg any) (messages.FileInfo, error) {
	return ask[messages.FileInfo](r.Context(), v.Actors, v.Vault, routeID(r), msg)
}

func (v *Vaults) upload(w http.ResponseWriter, r *http.Request) {
	p, err := filePath(r, "upload")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	maxUp := v.Files.MaxUpload
	if maxUp <= 0 {
		maxUp = files.MaxUploadSize
	}
	if r.ContentLength > maxUp {
		WriteError(w, r, &http.MaxBytesError{Limit: maxUp})
		return
	}
	meta, mtime, err := uploadHeaders(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ifMatch, base := strings.Trim(r.Header.Get("If-Match"), `"`), strings.Trim(r.Header.Get(BaseHeader), `"`)
	grant, err := ask[messages.UploadGrant](r.Context(), v.Actors, v.Vault, routeID(r),
		messages.BeginUpload{Path: p, Size: r.ContentLength, IfMatch: ifMatch, Base: base})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	limit := maxUp
	if grant.Remaining >= 0 && grant.Remaining < limit {
		limit = grant.Remaining
	}
	up, err := files.Ingest(r.Context(), r.Body, files.IngestConfig{Key: grant.Key, Store: v.Files.Blocks, Pins: v.Files.Pins, Limit: limit, Reclaim: v.Files.Reclaim})
	var tooLarge *files.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && limit < maxUp:
		WriteError(w, r, grant.Over(tooLarge.Read))
		return
	case errors.As(err, &tooLarge):
		WriteError(w, r, &http.MaxBytesError{Limit: maxUp})
		return
	case err != nil:
		WriteError(w, r, err)
		return
	}
	if err := files.CheckBlocks(v.Files.Blocks, up.Manifest); err != nil {
		up.Abort()
		WriteError(w, r, err)
		return
	}
	ctype := r.Header.Get("Content-Type")
	if ctype == "" || strings.HasPrefix(ctype, "application/octet-stream") || strings.HasPrefix(ctype, "application/x-www-form-urlencoded") {
		ctype = files.ContentType(path.Base(p), up.Head)
	}
	info, err := v.vaultAsk(r, messages.CommitUpload{Path: p, Manifest: up.Manifest, ContentType: ctype, Meta: meta,
		MtimeMs: mtime, Author: v.NodeID, IfMatch: ifMatch, Base: base})
	switch {
	case err == nil:
		up.Done() // the version's references keep its blocks now
	case errors.Is(err, messages.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		up.Linger(time.Minute) // the commit may still land (a client that hung up, a slow ask): keep its blocks pinned a while
	default:
		up.Abort() // refused for certain: reclaim what this upload wrote
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if v.Files.Written != nil {
		v.Files.Written(r.Context(), routeID(r), info)
	}
	WriteJSON(w, http.StatusCreated, info)
}

// uploadHeaders reads the user metadata and modification time an upload may carry.
func uploadHeaders(r *http.Request) (map[string]string, int64, error) {
	var meta map[string]string
	for k, vs := range r.Header {
		if name, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), http.CanonicalHeaderKey(MetaPrefix)); ok && len(vs) > 0 {
			if meta == nil {
				meta = map[string]string{}
			}
			meta[strings.ToLower(name)] = vs[0]
		}
	}
	var mtime int64
	if s := r.Header.Get(MtimeHeader); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, 0, messages.Invalid(MtimeHeader, "want milliseconds since the epoch")
		}
		mtime = n
	}
	return meta, mtime, nil
}

// serve answers download, stream and version: the version's blocks read, verified and
// decrypted on the way out.
func (v *Vaults) serve(verb string, download bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := filePath(r, verb)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		hash := r.URL.Query().Get("content_hash")
		if verb == "version" && hash == "" {
			WriteError(w, r, messages.Invalid("content_hash", "is required: the version to download"))
			return
		}
		rd, err := ask[messages.Readable](r.Context(), v.Actors, v.Vault, routeID(r), messages.OpenVersion{Path: p, ContentHash: hash})
		if err != nil {
			WriteError(w, r, err)
			return
		}
		src := v.Files.Blocks
		if v.Files.ReadBlocks != nil {
			src = v.Files.ReadBlocks
		}
		reader, err := files.NewReader(r.Context(), src, rd.Manifest)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		defer reader.Close()
		f := files.File{Name: path.Base(p), ContentType: rd.File.ContentType, ETag: files.ETag(rd.Manifest.ContentHash), Download: download}
		if rd.File.MtimeMs > 0 {
			f.ModTime = time.UnixMilli(rd.File.MtimeMs)
		}
		if err := files.Serve(w, r, f, reader); err != nil && !errors.Is(err, files.ErrAborted) {
			WriteError(w, r, fmt.Errorf("serve %s: %w", p, err))
		}
	}
}
