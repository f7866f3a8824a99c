// Package webhook delivers the node's committed events to outbound webhooks (docs/webhooks.md).
// A Sender reads the event log from a cursor it keeps in the store — never from the bus, which
// may drop — and POSTs each matching event's JSON envelope, signed with HMAC-SHA256, in log_seq
// order; a failed delivery is retried with exponential backoff without moving the cursor, so a
// crash or restart loses nothing. Delivery problems become audited events through the Recorder
// core (entity webhook/<name>).
package webhook
