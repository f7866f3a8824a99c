// Package metrics is the daemon's own instrumentation: cheap atomic counters fed by an HTTP
// middleware, the server's ConnState hook and the committer's stats; a sampler keeping 24 h of
// per-minute samples in memory for GET /api/v1/system/metrics; and a Prometheus registry (Go and
// process collectors plus those counters) for GET /metrics. See docs/metrics.md.
package metrics
