package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meshhold/meshhold/http/metrics"
	"github.com/meshhold/meshhold/messages"
)

// Metrics serves GET /system/metrics from the daemon's sampler.
type Metrics struct {
	Sampler *metrics.Sampler
}

// MetricsReply is the body of GET /system/metrics.
type MetricsReply struct {
	IntervalMs int64            `json:"interval_ms"`
	Samples    []metrics.Sample `json:"samples"`
}

// Routes lists the metrics route.
func (m *Metrics) Routes() []Route {
	return []Route{{
		Method: http.MethodGet, Pattern: "/system/metrics", Access: Bearer, Handler: m.samples,
		Doc: Doc{
			Summary:  "The last 24 h of per-minute samples (CPU, memory, goroutines, connections, requests by status class, bytes, peers, events), oldest first; in memory, so a restart starts afresh.",
			Response: MetricsReply{Samples: []metrics.Sample{}},
			Query: []Param{
				{Name: "from", Type: "integer", Description: "Keep samples taken at or after this time, in ms since the Unix epoch."},
				{Name: "to", Type: "integer", Description: "Keep samples taken at or before this time, in ms since the Unix epoch."},
			},
		},
	}}
}

func (m *Metrics) samples(w http.ResponseWriter, r *http.Request) {
	if m.Sampler == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	q := r.URL.Query()
	from, err := msParam("from", q.Get("from"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	to, err := msParam("to", q.Get("to"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		WriteError(w, r, messages.Invalid("to", "%d is before from (%d)", to.UnixMilli(), from.UnixMilli()))
		return
	}
	WriteJSON(w, http.StatusOK, MetricsReply{
		IntervalMs: m.Sampler.Interval().Milliseconds(),
		Samples:    m.Sampler.Samples(from, to),
	})
}

// msParam parses a query parameter in ms since the Unix epoch; empty means not given (zero time).
func msParam(name, raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, messages.Invalid(name, "%q is not a time; send milliseconds since the Unix epoch, e.g. %d", raw, time.Now().UnixMilli())
	}
	return time.UnixMilli(n), nil
}

// RequireBearer guards next exactly as a Bearer route of the router is guarded (the same
// Authenticator, messages and 401s, ?token= refused); errors are logged to log. The daemon
// wraps the Prometheus handler with it for GET /metrics on the API listener.
func RequireBearer(auth Authenticator, log *slog.Logger, next http.Handler) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return withLogger(log)(guard(Bearer, RouterDeps{Auth: auth}, next))
}
