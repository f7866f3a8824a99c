package natsbus

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// connect opens the daemon's own connection, in-process or over the loopback listener, with
// the internal token that grants full rights.
func (b *Bus) connect(mode ConnMode, token string) error {
	opts := []nats.Option{
		nats.Name("meshhold"),
		nats.Token(token),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond),
		nats.DrainTimeout(drainTimeout),
		nats.ErrorHandler(b.asyncError),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("bus connection lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { b.log.Warn("bus connection restored") }),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
	}
	url := ""
	if mode == ConnInProcess {
		opts = append(opts, nats.InProcessServer(b.srv))
	} else {
		var err error
		if url, err = dialAddr(b.srv); err != nil {
			return err
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("natsbus: connect %s: %w", mode, err)
	}
	b.nc, b.dialURL = nc, url
	return nil
}

// asyncError logs what nats reports outside a call: slow consumers (rate-limited per subject,
// with the subscription's total of dropped messages) and anything else.
func (b *Bus) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	subject := ""
	if sub != nil {
		subject = sub.Subject
	}
	if !errors.Is(err, nats.ErrSlowConsumer) {
		b.log.Warn("bus connection error", "subject", subject, "err", err)
		return
	}
	ok, suppressed := b.warns.allow(subject, time.Now())
	if !ok {
		return
	}
	var dropped int
	if sub != nil {
		dropped, _ = sub.Dropped()
	}
	b.log.Warn("bus subscriber too slow, messages dropped",
		"subject", subject, "dropped", dropped, "warnings_suppressed", suppressed)
}
