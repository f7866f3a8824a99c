package s3

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
)

// Limits of multipart uploads, as on S3.
const (
	maxParts       = 10000
	minPartSize    = 5 << 20 // every part but the last
	maxPartSize    = 5 << 30
	uploadLifetime = 24 * time.Hour // an upload neither completed nor aborted is aborted after this
)

// uploads are the multipart uploads in progress. They live in memory: their parts' blocks are
// stored and pinned, but a restart forgets the uploads (clients get NoSuchUpload and start
// again) and the collector reclaims the blocks after its grace period.
type uploads struct {
	mu sync.Mutex
	m  map[string]*mpUpload
}

// mpUpload is one multipart upload: where it goes, what it will record, its parts.
type mpUpload struct {
	id, bucket, key, path, vaultID string
	ctype                          string
	meta                           map[string]string
	vaultKey                       messages.VaultKey
	initiated                      time.Time

	mu    sync.Mutex
	parts map[int]*mpPart
	done  bool // completed or aborted: no more parts
}

// mpPart is one uploaded part: its blocks (pinned by up) and its MD5.
type mpPart struct {
	number   int
	up       *files.Upload
	size     int64
	md5      [16]byte
	modified time.Time
}

func (p *mpPart) etag() string { return etag(hex.EncodeToString(p.md5[:])) }

// add registers a new upload.
func (u *uploads) add(up *mpUpload) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string]*mpUpload{}
	}
	u.m[up.id] = up
}

// get finds upload id of bucket/key, aborting the expired ones on the way.
func (u *uploads) get(id, bucket, key string, now time.Time) (*mpUpload, bool) {
	u.expire(now)
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok := u.m[id]
	if !ok || up.bucket != bucket || up.key != key {
		return nil, false
	}
	return up, true
}

// remove forgets upload id.
func (u *uploads) remove(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.m, id)
}

// list returns the uploads of bucket, by key then initiation.
func (u *uploads) list(bucket string, now time.Time) []*mpUpload {
	u.expire(now)
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*mpUpload
	for _, up := range u.m {
		if up.bucket == bucket {
			out = append(out, up)
		}
	}
	slices.SortFunc(out, func(a, b *mpUpload) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return a.initiated.Compare(b.initiated)
	})
	return out
}

// expire aborts the uploads older than uploadLifetime.
func (u *uploads) expire(now time.Time) {
	u.mu.Lock()
	var old []*mpUpload
	for id, up := range u.m {
		if now.Sub(up.initiated) > uploadLifetime {
			old = append(old, up)
			delete(u.m, id)
		}
	}
	u.mu.Unlock()
	for _, up := range old {
		up.abort()
	}
}

// abort releases every part's blocks; later parts are refused.
func (up *mpUpload) abort() {
	up.mu.Lock()
	defer up.mu.Unlock()
	up.done = true
	for _, p := range up.parts {
		p.up.Abort()
	}
	up.parts = nil
}

// sorted returns the parts by number.
func (up *mpUpload) sorted() []*mpPart {
	out := make([]*mpPart, 0, len(up.parts))
	for _, p := range up.parts {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *mpPart) int { return a.number - b.number })
	return out
}

// size is the bytes of the parts, but part skip.
func (up *mpUpload) size(skip int) int64 {
	var n int64
	for _, p := range up.parts {
		if p.number != skip {
			n += p.size
		}
	}
	return n
}

func newMD5() hash.Hash { return md5.New() }

// newUploadID is a random, URL-safe upload id.
func newUploadID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// multipartETag is S3's ETag of a multipart object: the MD5 of the parts' MD5s, "-N".
func multipartETag(parts []*mpPart) string {
	h := md5.New()
	for _, p := range parts {
		h.Write(p.md5[:])
	}
	return etag(fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts)))
}
