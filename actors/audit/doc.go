// Package audit is the node's audit ring: a bounded, hash-chained log of security-relevant and
// administrative events (docs/audit.md). Records are derived from committed events by a commit
// hook (Ring), written in the same bbolt transaction as the events, so an audited change and
// its record are durable together. Read, Lines and Verify read the ring from any store snapshot.
package audit
