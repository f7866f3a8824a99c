// Package speedtest measures the latency and throughput to a peer over its own protocol,
// /meshhold/speedtest/1.0, bounded in bytes and time on both sides.
//
// One stream per test; every message is a frame (uvarint length, then the bytes):
//
//	client → server  {"v":1,"pings":5,"max_bytes":67108864,"max_ms":10000}
//	server → client  {"v":1,"max_bytes":…,"max_ms":…}  the limits granted (at most the server's)
//	                 or {"v":1,"error":"busy"}, and the stream ends
//	pings × (client → 8 bytes, server → the same 8 bytes)       round-trip time: the median
//	client → data frames of at most 64 KiB, until max_bytes or max_ms, then an empty frame
//	server → {"v":1,"bytes":<received>,"ms":<server-side duration>}
//
// Throughput is the bytes the server acknowledges over the client's time from its first data
// byte to the acknowledgement. A server runs one test per peer at a time and MaxConcurrent in
// all, resets a stream that sends more than it granted, and gives each test its time limit plus
// a grace period.
package speedtest

import (
	"errors"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/wire"
)

// Protocol is the speed test's protocol id.
const Protocol = wire.Speedtest

// Defaults and bounds.
const (
	DefaultMaxBytes = 64 << 20
	DefaultMaxTime  = 10 * time.Second
	DefaultPings    = 5
	// MaxPings bounds the pings a client may ask for.
	MaxPings = 20
	// MaxConcurrent bounds the tests a server runs at once, for all peers.
	MaxConcurrent = 2
	// chunk is the largest data frame.
	chunk = 64 << 10
	// maxControl bounds a control message.
	maxControl = 1 << 10
	// grace is added to a test's time limit for the pings, the handshake and the last ack.
	grace = 5 * time.Second
)

// Limits bound one test (the client's) or every test (the server's); zero fields take the
// defaults.
type Limits struct {
	// MaxBytes is the most the client sends.
	MaxBytes int64
	// MaxTime is the longest the client sends.
	MaxTime time.Duration
	// Pings is the number of round trips timed (at most MaxPings).
	Pings int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxTime <= 0 {
		l.MaxTime = DefaultMaxTime
	}
	if l.Pings <= 0 {
		l.Pings = DefaultPings
	}
	l.Pings = min(l.Pings, MaxPings)
	return l
}

// Error is a refusal that maps to an HTTP status through the messages sentinel it wraps.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

var (
	// ErrBusy: a test with this peer is running already, here or at the peer (409).
	ErrBusy = &Error{messages.ErrConflict, "a speed test with this peer is already running; try again when it ends"}
	// ErrNotConnected: the peer is not connected (404).
	ErrNotConnected = &Error{messages.ErrNotFound, "the peer is not connected"}
)

// request, grant and ack are the control messages.
type request struct {
	V        int   `json:"v"`
	Pings    int   `json:"pings"`
	MaxBytes int64 `json:"max_bytes"`
	MaxMs    int64 `json:"max_ms"`
}

type grant struct {
	V        int    `json:"v"`
	MaxBytes int64  `json:"max_bytes,omitempty"`
	MaxMs    int64  `json:"max_ms,omitempty"`
	Error    string `json:"error,omitempty"`
}

type ack struct {
	V     int   `json:"v"`
	Bytes int64 `json:"bytes"`
	Ms    int64 `json:"ms"`
}

// errBusyReply is the grant error a busy server sends.
const errBusyReply = "busy"

var errProtocol = errors.New("speedtest: protocol error")
