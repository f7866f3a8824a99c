package files

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// IngestConfig is what an upload needs: the grant's key and byte budget, and the node's block
// store and pin set.
type IngestConfig struct {
	Key     messages.VaultKey
	Store   persist.BlockStore
	Pins    *blockgc.Pins
	Limit   int64     // most bytes accepted: min(remaining quota, MaxUploadSize); more → *TooLargeError
	Workers int       // sealing goroutines; 0 = GOMAXPROCS
	Reclaim Reclaimer // optional: deletes the blocks of a failed upload at once (else the sweep does)
}

// Ingest streams body through chunker → cipher (Workers goroutines, order kept) → block store,
// pinning every block it writes or matches, and hashes the plaintext (keyed content hash, MD5)
// on the way. Memory stays within a few blocks per worker whatever the size. On error nothing
// stays pinned and the blocks it wrote go to Reclaim.
func Ingest(ctx context.Context, body io.Reader, cfg IngestConfig) (*Upload, error) {
	if cfg.Limit < 0 {
		return nil, fmt.Errorf("files: negative upload limit %d", cfg.Limit)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	p := newPipeline(ctx, cfg)
	size, head, readErr := p.read(body)
	p.finish()
	up := &Upload{pins: cfg.Pins, pinned: p.pinnedList, reclaim: cfg.Reclaim, Written: p.written, Head: head}
	if err := firstErr(readErr, p.err()); err != nil {
		up.Abort()
		return nil, err
	}
	up.Manifest = messages.Manifest{Blocks: p.refs, Size: size,
		ContentHash: [32]byte(p.mac.Sum(nil)), MD5: [16]byte(p.md5.Sum(nil))}
	return up, nil
}

// pipeline is one upload's stages: the caller's goroutine reads blocks, workers seal and store
// them, two hashers consume them in order; a block's buffer returns to the pool when all three
// are done with it.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	cfg    IngestConfig

	slots   chan struct{} // one token per plaintext buffer in flight: bounds memory
	jobs    chan *block
	macq    chan *block
	md5q    chan *block
	results chan result
	wg      sync.WaitGroup
	done    chan struct{} // the collector finished

	mac, md5 hash.Hash

	mu         sync.Mutex
	pinnedSet  map[messages.BlockAddr]bool
	pinnedList []messages.BlockAddr
	refs       []messages.BlockRef
	written    []messages.BlockAddr
	failure    error
}

type block struct {
	idx   int
	buf   []byte
	data  []byte
	users atomic.Int32
}

type result struct {
	idx     int
	ref     messages.BlockRef
	written bool
	err     error
}

func newPipeline(ctx context.Context, cfg IngestConfig) *pipeline {
	inflight := 2*cfg.Workers + 2
	p := &pipeline{cfg: cfg,
		slots:   make(chan struct{}, inflight),
		jobs:    make(chan *block, inflight),
		macq:    make(chan *block, inflight),
		md5q:    make(chan *block, inflight),
		results: make(chan result, inflight),
		done:    make(chan struct{}),
		mac:     vaultcrypt.NewContentMAC(cfg.Key),
		md5:     md5.New(),

		pinnedSet: map[messages.BlockAddr]bool{},
	}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	for range cfg.Workers {
		p.wg.Go(p.seal)
	}
	p.wg.Go(func() { p.hash(p.macq, p.mac) })
	p.wg.Go(func() { p.hash(p.md5q, p.md5) })
	go p.collect()
	return p
}

// read cuts the body into blocks and hands them out; it returns the size and the head.
func (p *pipeline) read(body io.Reader) (size int64, head []byte, err error) {
	limit := p.cfg.Limit
	for idx := 0; ; idx++ {
		want := chunk.SizeAt(size)
		if limit < math.MaxInt64 && int64(want) > limit+1-size {
			want = int(limit + 1 - size) // never read more than one byte past the limit
		}
		select {
		case p.slots <- struct{}{}:
		case <-p.ctx.Done():
			return size, head, context.Cause(p.ctx)
		}
		b := &block{idx: idx, buf: getBuf(want)}
		n, rerr := io.ReadFull(body, b.buf[:want])
		size += int64(n)
		if size > limit {
			p.drop(b)
			return size, head, &TooLargeError{Limit: limit, Read: size}
		}
		if n > 0 {
			if idx == 0 {
				head = append([]byte(nil), b.buf[:min(n, 512)]...)
			}
			b.data = b.buf[:n]
			b.users.Store(3)
			p.jobs <- b
			p.macq <- b
			p.md5q <- b
		} else {
			p.drop(b)
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return size, head, nil
		case rerr != nil:
			return size, head, fmt.Errorf("files: reading the upload body: %w", rerr)
		case p.ctx.Err() != nil:
			return size, head, context.Cause(p.ctx)
		}
	}
}

// finish closes the stages and waits for them.
func (p *pipeline) finish() {
	close(p.jobs)
	close(p.macq)
	close(p.md5q)
	p.wg.Wait()
	close(p.results)
	<-p.done
	p.cancel(nil)
}

// drop returns a block that no stage will see.
func (p *pipeline) drop(b *block) {
	putBuf(b.buf)
	<-p.slots
}

// release ends one stage's use of a block.
func (p *pipeline) release(b *block) {
	if b.users.Add(-1) == 0 {
		putBuf(b.buf)
		<-p.slots
	}
}

func (p *pipeline) fail(err error) {
	p.mu.Lock()
	if p.failure == nil {
		p.failure = err
	}
	p.mu.Unlock()
	p.cancel(err)
}

func (p *pipeline) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failure
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			var tl *TooLargeError
			if errors.As(err, &tl) {
				return tl
			}
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
