package speedtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// running holds the tests this process runs, one per (transport, peer).
var running sync.Map

type runKey struct {
	t    p2p.Transport
	peer p2p.PeerID
}

// Run tests the connection to peer within limits (zero fields: the defaults; the server may
// grant less). ErrBusy and ErrNotConnected refuse a test; any other error ends a test that ran,
// and the result, with Error set, says how far it got.
func Run(ctx context.Context, t p2p.Transport, peer p2p.PeerID, limits Limits) (messages.SpeedResult, error) {
	limits = limits.withDefaults()
	res := messages.SpeedResult{PeerID: string(peer), AtMs: time.Now().UnixMilli()}
	if !slices.Contains(t.Peers(), peer) {
		return res, ErrNotConnected
	}
	key := runKey{t, peer}
	if _, busy := running.LoadOrStore(key, true); busy {
		return res, ErrBusy
	}
	defer running.Delete(key)
	err := run(ctx, t, peer, limits, &res)
	if err != nil && err != ErrBusy {
		res.Error = err.Error()
	}
	return res, err
}

func run(ctx context.Context, t p2p.Transport, peer p2p.PeerID, limits Limits, res *messages.SpeedResult) error {
	ctx, cancel := context.WithTimeout(ctx, limits.MaxTime+grace)
	defer cancel()
	s, err := t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		return fmt.Errorf("open a speed test stream: %w", err)
	}
	defer context.AfterFunc(ctx, func() { _ = s.Reset() })()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	br := bufio.NewReader(s)
	if err := writeJSON(s, request{V: 1, Pings: limits.Pings, MaxBytes: limits.MaxBytes, MaxMs: limits.MaxTime.Milliseconds()}); err != nil {
		return fail(ctx, s, err)
	}
	var g grant
	if err := readJSON(br, &g); err != nil {
		return fail(ctx, s, err)
	}
	switch {
	case g.Error == errBusyReply:
		_ = s.Close()
		return ErrBusy
	case g.Error != "":
		_ = s.Close()
		return fmt.Errorf("the peer refused the test: %s", g.Error)
	case g.MaxBytes <= 0 || g.MaxMs <= 0:
		return fail(ctx, s, errProtocol)
	}
	rtt, err := ping(s, br, limits.Pings)
	if err != nil {
		return fail(ctx, s, err)
	}
	res.RTTMs = float64(rtt.Microseconds()) / 1e3
	maxBytes := min(limits.MaxBytes, g.MaxBytes)
	maxTime := min(limits.MaxTime, time.Duration(g.MaxMs)*time.Millisecond)
	start := time.Now()
	sent, err := send(ctx, s, maxBytes, start.Add(maxTime))
	if err != nil {
		return fail(ctx, s, err)
	}
	var a ack
	if err := readJSON(br, &a); err != nil {
		return fail(ctx, s, err)
	}
	elapsed := time.Since(start)
	_ = s.Close()
	if a.Bytes != sent {
		return fmt.Errorf("%w: sent %d bytes, the peer acknowledged %d", errProtocol, sent, a.Bytes)
	}
	res.Bytes = a.Bytes
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.Mbps = float64(a.Bytes) * 8 / res.Seconds / 1e6
	}
	return nil
}

// ping times n round trips of 8 bytes and returns the median.
func ping(s p2p.Stream, br *bufio.Reader, n int) (time.Duration, error) {
	rtts := make([]time.Duration, 0, n)
	for i := range n {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		start := time.Now()
		if err := writeFrame(s, b[:]); err != nil {
			return 0, err
		}
		got, err := readFrame(br, 8)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(got, b[:]) {
			return 0, fmt.Errorf("%w: a pong that is not the ping", errProtocol)
		}
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	return rtts[len(rtts)/2], nil
}

// send writes data frames until max bytes or the deadline, then the empty end frame.
func send(ctx context.Context, s p2p.Stream, max int64, until time.Time) (int64, error) {
	buf := make([]byte, binary.MaxVarintLen64+chunk)
	var sent int64
	for sent < max && time.Now().Before(until) && ctx.Err() == nil {
		k := int(min(int64(chunk), max-sent))
		w := binary.PutUvarint(buf, uint64(k))
		clear(buf[w : w+k])
		if _, err := s.Write(buf[:w+k]); err != nil {
			return sent, err
		}
		sent += int64(k)
	}
	if err := ctx.Err(); err != nil {
		return sent, err
	}
	return sent, writeFrame(s, nil)
}

// fail resets the stream and prefers the context's error, which says more than a reset.
func fail(ctx context.Context, s p2p.Stream, err error) error {
	_ = s.Reset()
	if ctx.Err() != nil {
		return fmt.Errorf("the speed test ran out of time: %w", ctx.Err())
	}
	return err
}
