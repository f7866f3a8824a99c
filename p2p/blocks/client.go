package blocks

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// ClientConfig configures a Client; zero fields take the defaults.
type ClientConfig struct {
	// MaxStreams bounds the block streams the Client has open at once, across all its callers;
	// a call waits for a free one (or its context). Default 8.
	MaxStreams int
	// IdleTimeout abandons a stream that makes no progress for this long. Default 30 s.
	IdleTimeout time.Duration
	// OnBlock, if set, is called after each block a Fetch stored or a Push delivered (for
	// progress events). It runs on the transfer's goroutine and must not block.
	OnBlock func(peer p2p.PeerID, a persist.Address, size int)
}

// DefaultClientStreams is ClientConfig.MaxStreams' default.
const DefaultClientStreams = 8

// Client transfers blocks over one transport with a bound on concurrent streams. Share one per
// node: the bound is what keeps the daemon from opening unbounded streams.
type Client struct {
	t   p2p.Transport
	cfg ClientConfig
	sem chan struct{}
}

// NewClient returns a client of t.
func NewClient(t p2p.Transport, cfg ClientConfig) *Client {
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultClientStreams
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	return &Client{t: t, cfg: cfg, sem: make(chan struct{}, cfg.MaxStreams)}
}

// Have asks peer which of addrs it holds, in batches of MaxBatch; held[i] is for addrs[i].
func Have(ctx context.Context, t p2p.Transport, peer p2p.PeerID, addrs []persist.Address) ([]bool, error) {
	return NewClient(t, ClientConfig{}).Have(ctx, peer, addrs)
}

// Fetch is Client.Fetch on a client of its own (one stream at a time).
func Fetch(ctx context.Context, t p2p.Transport, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (FetchResult, error) {
	return NewClient(t, ClientConfig{}).Fetch(ctx, peer, addrs, store)
}

// Push is Client.Push on a client of its own (one stream at a time).
func Push(ctx context.Context, t p2p.Transport, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (PushResult, error) {
	return NewClient(t, ClientConfig{}).Push(ctx, peer, addrs, store)
}

// FetchAny is Client.FetchAny on a client of its own.
func FetchAny(ctx context.Context, t p2p.Transport, peers []p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (FetchResult, error) {
	return NewClient(t, ClientConfig{}).FetchAny(ctx, peers, addrs, store)
}

// stream is an open block stream holding one of the client's slots.
type stream struct {
	p2p.Stream
	br      *bufio.Reader
	c       *Client
	release func()
}

// open takes a slot (waiting for one) and opens a stream to peer; ctx ending resets it.
func (c *Client) open(ctx context.Context, peer p2p.PeerID) (*stream, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s, err := c.t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		<-c.sem
		return nil, fmt.Errorf("blocks: open a stream to %s: %w", peer, err)
	}
	stopReset := context.AfterFunc(ctx, func() { _ = s.Reset() })
	st := &stream{Stream: s, br: bufio.NewReaderSize(s, 64<<10), c: c}
	st.release = func() {
		stopReset()
		<-c.sem
	}
	st.deadline()
	return st, nil
}

// deadline gives the stream another IdleTimeout.
func (s *stream) deadline() { _ = s.SetDeadline(time.Now().Add(s.c.cfg.IdleTimeout)) }

// finish closes (ok) or resets the stream and frees its slot.
func (s *stream) finish(ok bool) {
	if ok {
		_ = s.Close()
	} else {
		_ = s.Reset()
	}
	s.release()
}

// fail wraps a stream error, preferring the context's, which says more than a reset.
func fail(ctx context.Context, peer p2p.PeerID, what string, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("blocks: %s from %s: %w", what, peer, err)
}

// Have asks peer which of addrs it holds, in batches of MaxBatch; held[i] is for addrs[i].
func (c *Client) Have(ctx context.Context, peer p2p.PeerID, addrs []persist.Address) ([]bool, error) {
	held := make([]bool, 0, len(addrs))
	for start := 0; start < len(addrs); start += MaxBatch {
		batch := addrs[start:min(start+MaxBatch, len(addrs))]
		got, err := c.have(ctx, peer, batch)
		if err != nil {
			return nil, err
		}
		held = append(held, got...)
	}
	return held, nil
}

func (c *Client) have(ctx context.Context, peer p2p.PeerID, addrs []persist.Address) (held []bool, err error) {
	s, err := c.open(ctx, peer)
	if err != nil {
		return nil, err
	}
	defer func() { s.finish(err == nil) }()
	if err := writeRequest(s, opHave, addrs); err != nil {
		return nil, fail(ctx, peer, "have", err)
	}
	_ = s.CloseWrite()
	bitmap, err := readAnswer(s.br)
	if err != nil {
		return nil, fail(ctx, peer, "have", err)
	}
	if len(bitmap) != (len(addrs)+7)/8 {
		return nil, fail(ctx, peer, "have", fmt.Errorf("%w: a bitmap of %d bytes for %d addresses", ErrProtocol, len(bitmap), len(addrs)))
	}
	held = make([]bool, len(addrs))
	for i := range addrs {
		held[i] = bitmap[i/8]&(1<<(i%8)) != 0
	}
	return held, nil
}
