package stream

import (
	"errors"
	"sync"
)

// errUnregistered ends a client its owner closed.
var errUnregistered = errors.New("stream: client unregistered")

// Client is one registration with a Broadcaster: a bounded queue of events and a done signal.
type Client struct {
	bc    *Broadcaster
	types map[string]struct{} // nil: every type
	ch    chan *Event         // written only by the bus goroutine, never closed
	done  chan struct{}
	once  sync.Once
	err   error // why done was closed; written before the close
}

// Events is the client's queue, in log_seq order.
func (c *Client) Events() <-chan *Event { return c.ch }

// Done is closed when the client is disconnected (Err says why); queued events are then moot.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is ErrSlow or ErrClosed after Done, when the broadcaster ended the client; nil before.
func (c *Client) Err() error {
	select {
	case <-c.done:
		if c.err == errUnregistered {
			return nil
		}
		return c.err
	default:
		return nil
	}
}

// Close unregisters the client; it is idempotent.
func (c *Client) Close() { c.bc.remove(c, errUnregistered) }

// wants reports whether the client's filter takes events of type typ.
func (c *Client) wants(typ string) bool {
	if c.types == nil {
		return true
	}
	_, ok := c.types[typ]
	return ok
}

// end closes done once, recording why.
func (c *Client) end(why error) {
	c.once.Do(func() {
		c.err = why
		close(c.done)
	})
}
