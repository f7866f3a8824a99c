package stream

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// maxTypes bounds the ?types= filter.
const maxTypes = 64

// LastEventIDHeader is what EventSource sends on reconnect; lastEventIDParam is the query
// parameter for clients that cannot set headers.
const (
	LastEventIDHeader = "Last-Event-ID"
	lastEventIDParam  = "last_event_id"
)

// request is what a stream request asks for.
type request struct {
	types  []string // empty: every type
	resume bool     // a last event id was given
	after  uint64   // the client has seen every event up to this log_seq
}

// parseRequest reads ?types= and the last event id; errors name the parameter at fault.
// The header wins over the query parameter: on reconnect EventSource sends the header with the
// newest id, while the URL still carries the id of the first connection.
func parseRequest(r *http.Request) (request, error) {
	var req request
	q := r.URL.Query()
	if raw := q.Get("types"); raw != "" {
		names := strings.Split(raw, ",")
		if len(names) > maxTypes {
			return req, messages.Invalid("types", "at most %d event types may be listed", maxTypes)
		}
		for _, n := range names {
			if !validType(n) {
				return req, messages.Invalid("types", "%q is not an event type; list snake_case type names separated by commas, e.g. types=vault_created,login_succeeded", n)
			}
		}
		req.types = names
	}
	field, raw := LastEventIDHeader, strings.TrimSpace(r.Header.Get(LastEventIDHeader))
	if raw == "" {
		field, raw = lastEventIDParam, strings.TrimSpace(q.Get(lastEventIDParam))
	}
	if raw != "" {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return req, messages.Invalid(field, "%q is not an event id; send the decimal id: of the last event received", raw)
		}
		req.resume, req.after = true, n
	}
	return req, nil
}
