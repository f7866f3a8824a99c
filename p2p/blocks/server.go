package blocks

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
	"github.com/meshhold/meshhold/persist"
)

// ServerConfig bounds what Serve does for peers; zero fields take the defaults.
type ServerConfig struct {
	// MaxStreamsPerPeer and MaxStreams bound the requests served at once, per peer and in all;
	// one more is answered busy. Default 4 and 16.
	MaxStreamsPerPeer, MaxStreams int
	// MaxPutBytes bounds the block bytes one put stream may deliver; the pusher continues on a
	// new stream. Default 1 GiB.
	MaxPutBytes int64
	// IdleTimeout resets a stream that makes no progress (no request, no block) for this long.
	// Default 30 s.
	IdleTimeout time.Duration
	// Accept decides whether to take a block a peer pushes: first when it is offered (size −1,
	// not known yet: refuse here to save the transfer, say for a peer or role not allowed to
	// store here), then when it arrives (its size: say, a storage budget). nil takes everything.
	// It runs on the stream's goroutine and must not block for long.
	Accept func(peer p2p.PeerID, a persist.Address, size int) bool
	// Stored, if set, is called after each pushed block was verified and Put (not yet synced):
	// the daemon pins and records it until the references that keep it commit.
	Stored func(peer p2p.PeerID, a persist.Address, size int)
}

// Defaults of ServerConfig.
const (
	DefaultMaxStreamsPerPeer = 4
	DefaultMaxStreams        = 16
	DefaultMaxPutBytes       = 1 << 30
	DefaultIdleTimeout       = 30 * time.Second
)

func (c ServerConfig) withDefaults() ServerConfig {
	if c.MaxStreamsPerPeer <= 0 {
		c.MaxStreamsPerPeer = DefaultMaxStreamsPerPeer
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxPutBytes <= 0 {
		c.MaxPutBytes = DefaultMaxPutBytes
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}

type server struct {
	store persist.BlockStore
	cfg   ServerConfig

	served p2p.Served

	mu      sync.Mutex
	perPeer map[p2p.PeerID]int
	active  int
}

// Serve answers /meshhold/blocks/1.0 on t from store until stop is called; stop resets the
// streams being served and returns once their handlers have.
func Serve(t p2p.Transport, store persist.BlockStore, cfg ServerConfig) (stop func()) {
	srv := &server{store: store, cfg: cfg.withDefaults(), perPeer: map[p2p.PeerID]int{}}
	t.SetStreamHandler(Protocol, srv.handle)
	var once sync.Once
	return func() {
		once.Do(func() {
			t.RemoveStreamHandler(Protocol)
			srv.served.Stop()
		})
	}
}

// admit counts a request against the limits, or reports the server busy.
func (srv *server) admit(peer p2p.PeerID) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.perPeer[peer] >= srv.cfg.MaxStreamsPerPeer || srv.active >= srv.cfg.MaxStreams {
		return false
	}
	srv.perPeer[peer]++
	srv.active++
	return true
}

func (srv *server) leave(peer p2p.PeerID) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.perPeer[peer]--; srv.perPeer[peer] == 0 {
		delete(srv.perPeer, peer)
	}
	srv.active--
}

// deadline gives the stream another IdleTimeout.
func (srv *server) deadline(s p2p.Stream) {
	_ = s.SetDeadline(time.Now().Add(srv.cfg.IdleTimeout))
}

func (srv *server) handle(s p2p.Stream) {
	if !srv.served.Hold(s) {
		_ = s.Reset()
		return
	}
	defer srv.served.Release(s)
	srv.deadline(s)
	br := bufio.NewReaderSize(s, 64<<10)
	req, err := readRequest(br)
	switch {
	case errors.Is(err, wire.ErrFrameTooLarge):
		srv.refuse(s, statusTooLarge)
		return
	case errors.Is(err, ErrProtocol):
		srv.refuse(s, statusBad)
		return
	case err != nil:
		_ = s.Reset()
		return
	}
	peer := s.Peer()
	if !srv.admit(peer) {
		srv.refuse(s, statusBusy)
		return
	}
	defer srv.leave(peer)
	switch req.op {
	case opHave:
		err = srv.have(s, req.addrs)
	case opGet:
		err = srv.get(s, req.addrs)
	case opPut:
		err = srv.put(s, br, peer, req.addrs)
	}
	if err != nil {
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// refuse answers a request with a status and ends the stream.
func (srv *server) refuse(s p2p.Stream, status byte) {
	if err := wire.WriteFrame(s, []byte{status}); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// have answers which addresses the store holds (a non-empty block file: Has).
func (srv *server) have(s p2p.Stream, addrs []persist.Address) error {
	ans := make([]byte, 1+(len(addrs)+7)/8)
	ans[0] = statusOK
	for i, a := range addrs {
		if ok, err := srv.store.Has(a); err == nil && ok {
			ans[1+i/8] |= 1 << (i % 8)
		}
	}
	return wire.WriteFrame(s, ans)
}

// get sends a block frame per address, in order: the verified bytes, or the address alone when
// the block is missing or fails verification here. One Write per frame.
func (srv *server) get(s p2p.Stream, addrs []persist.Address) error {
	if err := wire.WriteFrame(s, []byte{statusOK}); err != nil {
		return err
	}
	ld := startLoader(srv.store, addrs)
	defer ld.stop()
	for it := range ld.out {
		srv.deadline(s)
		_, err := s.Write(it.frame())
		it.release()
		if err != nil {
			return err
		}
	}
	return nil
}

// put answers an offer of blocks, then takes the blocks the peer sends: each is checked
// against the budget and Accept when its header arrives, verified against its address as it
// lands, and Put; each gets a result.
func (srv *server) put(s p2p.Stream, br *bufio.Reader, peer p2p.PeerID, addrs []persist.Address) error {
	ans := make([]byte, 1+8+len(addrs))
	ans[0] = statusOK
	binary.BigEndian.PutUint64(ans[1:], uint64(srv.cfg.MaxPutBytes))
	offered := make(map[persist.Address]int, len(addrs)) // the wanted ones, by position
	for i, a := range addrs {
		held, err := srv.store.Has(a)
		code := offerSend
		switch {
		case err != nil:
			code = offerRefused
		case held:
			code = offerHeld
			touch(srv.store, a)
		case srv.cfg.Accept != nil && !srv.cfg.Accept(peer, a, -1):
			code = offerRefused
		}
		ans[9+i] = code
		if code == offerSend {
			offered[a] = i
		}
	}
	if err := wire.WriteFrame(s, ans); err != nil {
		return err
	}

	var (
		mu      sync.Mutex
		werr    error // the first failed result write
		written int64 // bytes of blocks taken
	)
	result := func(a persist.Address, code byte) {
		mu.Lock()
		defer mu.Unlock()
		if werr == nil {
			werr = writeResult(s, a, code)
		}
	}
	pt := startPutter(srv.store, func(it arrived, err error) {
		if err != nil {
			result(it.addr, resultFailed)
			return
		}
		if srv.cfg.Stored != nil {
			srv.cfg.Stored(peer, it.addr, it.n)
		}
		result(it.addr, resultStored)
	})
	err := srv.receivePut(s, br, peer, offered, &written, result, pt)
	pt.close()
	if err != nil {
		return err
	}
	return werr
}

// receivePut reads the put's block frames until the peer ends its side.
func (srv *server) receivePut(s p2p.Stream, br *bufio.Reader, peer p2p.PeerID,
	offered map[persist.Address]int, written *int64, result func(persist.Address, byte), pt *putter) error {
	next := 0 // blocks come in offer order; the pusher may leave some out
	for {
		srv.deadline(s)
		a, n, err := readBlockHeader(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		i, ok := offered[a]
		if !ok || i < next || n == 0 {
			return ErrProtocol // not offered, out of order, repeated, or empty
		}
		next = i + 1
		switch {
		case *written+int64(n) > srv.cfg.MaxPutBytes:
			if _, err := br.Discard(n); err != nil {
				return unexpected(err)
			}
			result(a, resultBudget)
			continue
		case srv.cfg.Accept != nil && !srv.cfg.Accept(peer, a, n):
			if _, err := br.Discard(n); err != nil {
				return unexpected(err)
			}
			result(a, resultRefused)
			continue
		}
		*written += int64(n)
		buf := getBuf()
		good, err := readVerified(br, a, (*buf)[:n])
		if err != nil {
			putBuf(buf)
			return err
		}
		if !good {
			putBuf(buf)
			result(a, resultCorrupt)
			continue
		}
		pt.in <- arrived{addr: a, buf: buf, n: n}
	}
}
