package natsbus

// InternalURL exposes the daemon connection's loopback URL to tests.
func (b *Bus) InternalURL() string { return b.dialURL }

// SetPendingLimits lowers the subscription pending limits for a test; call the result to restore.
func SetPendingLimits(msgs, bytes int) (restore func()) {
	oldMsgs, oldBytes := pendingMsgs, pendingBytes
	pendingMsgs, pendingBytes = msgs, bytes
	return func() { pendingMsgs, pendingBytes = oldMsgs, oldBytes }
}
