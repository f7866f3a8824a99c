package chat

import (
	"errors"
	"log/slog"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// Config configures a Service; zero fields take the defaults.
type Config struct {
	// Transport carries the gossip and the streams; Room stores and serves envelopes. Required.
	Transport p2p.Transport
	Room      Room
	// Interval between anti-entropy rounds against every holder of every room. Default 30 s.
	Interval time.Duration
	// Batch bounds the envelopes of one Receive; Linger is how long the first envelope of a
	// batch waits for more when others are already waiting, so a busy room commits many per
	// group commit. Default 256 and 2 ms (a negative Linger never waits; a lone envelope never
	// waits either).
	Batch  int
	Linger time.Duration
	// GapDelay is how long a gap waits before it is pulled, so envelopes gossip merely
	// reordered can fill it first and the gaps of one burst share one pull. Default 100 ms.
	GapDelay time.Duration
	// Inbox bounds the gossip envelopes waiting per room; past it they are dropped (and the
	// room synced, as for a gap). Default 4096.
	Inbox int
	// MaxPulls bounds the catch-ups running at once, across rooms; MaxServe the streams served
	// at once (one more is answered busy). Default 4 and 16.
	MaxPulls, MaxServe int
	// Page bounds the envelopes of one Since a server asks its Room for. Default 256, at most
	// messages.MaxChatEnvelopes.
	Page int
	// Timeout bounds one exchange (a heads question, a page, a Receive). Default 30 s.
	Timeout time.Duration
	// MaxBackoff caps the doubling delay before a failing peer is asked again. Default 5 min.
	MaxBackoff time.Duration
	Log        *slog.Logger
}

// Defaults of Config.
const (
	DefaultInterval   = 30 * time.Second
	DefaultBatch      = 256
	DefaultLinger     = 2 * time.Millisecond
	DefaultGapDelay   = 100 * time.Millisecond
	DefaultInbox      = 4096
	DefaultMaxPulls   = 4
	DefaultMaxServe   = 16
	DefaultPage       = 256
	DefaultTimeout    = 30 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
)

// Validate reports a missing transport or room, or a setting out of range.
func (c Config) Validate() error {
	switch {
	case c.Transport == nil:
		return errors.New("chat: config: no transport")
	case c.Room == nil:
		return errors.New("chat: config: no room")
	case c.Batch > messages.MaxChatEnvelopes:
		return errors.New("chat: config: batch above messages.MaxChatEnvelopes")
	case c.Page > messages.MaxChatEnvelopes:
		return errors.New("chat: config: page above messages.MaxChatEnvelopes")
	}
	return nil
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Interval, DefaultInterval)
	def(&c.GapDelay, DefaultGapDelay)
	def(&c.Timeout, DefaultTimeout)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	if c.Linger == 0 {
		c.Linger = DefaultLinger
	}
	defInt(&c.Batch, DefaultBatch)
	defInt(&c.Inbox, DefaultInbox)
	defInt(&c.MaxPulls, DefaultMaxPulls)
	defInt(&c.MaxServe, DefaultMaxServe)
	defInt(&c.Page, DefaultPage)
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}
