// Package bus is how committed events fan out inside the daemon and to integrations: the Bus
// interface, the subject builders and the JSON envelope. The bus is not the system of record
// (the node's event log in bbolt is); natsbus embeds NATS, membus serves simulations and tests.
package bus

// Msg is one message received from the bus.
type Msg struct {
	Subject string
	Data    []byte
}

// Bus publishes and subscribes by subject; NATS wildcards (* and >) apply.
type Bus interface {
	// Publish sends data on subject without waiting for subscribers.
	Publish(subject string, data []byte) error
	// Subscribe calls fn for each message on subject, one at a time, on a goroutine of the
	// bus; fn must not block for long.
	Subscribe(subject string, fn func(Msg)) (Subscription, error)
	// Close drains what was published and releases the bus.
	Close() error
}

// Subscription ends with Unsubscribe.
type Subscription interface {
	Unsubscribe() error
}
