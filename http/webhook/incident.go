package webhook

import (
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist"
)

// Kind is the actor kind of the Recorder: entity webhook/<name>.
const Kind = "webhook"

// The event types of delivery incidents; all start with "webhook_", which the audit ring
// records and which no outbound webhook ever delivers (a failing receiver cannot feed itself).
const (
	// TypeFailing: a delivery failed and will be retried; once per streak of failures.
	TypeFailing = "webhook_failing"
	// TypeRecovered: a delivery succeeded after a streak of failures.
	TypeRecovered = "webhook_recovered"
	// TypeDropped: the receiver refused an event for good (a 4xx other than 408 and 429).
	TypeDropped = "webhook_dropped"
	// TypeGap: the event log was pruned past the cursor; the events in between were never sent.
	TypeGap = "webhook_gap"
)

// incidentPrefix starts every incident type.
const incidentPrefix = "webhook_"

// Incident is a delivery problem the node records as an audited event of the webhook's entity.
type Incident struct {
	Type      string `json:"-"`
	Webhook   string `json:"webhook"`
	URL       string `json:"url,omitempty"`        // scheme, host and path only: no credentials or query
	Delivery  uint64 `json:"delivery,omitempty"`   // the event's log_seq
	EventType string `json:"event_type,omitempty"` // the event's type
	Status    int    `json:"status,omitempty"`     // the receiver's last HTTP status (0: no answer)
	Error     string `json:"error,omitempty"`      // why the last attempt failed
	Attempts  int    `json:"attempts,omitempty"`   // attempts so far
	RetryInMs int64  `json:"retry_in_ms,omitempty"`
	From      uint64 `json:"from,omitempty"`   // gap: first log_seq missed
	To        uint64 `json:"to,omitempty"`     // gap: last log_seq missed
	Missed    uint64 `json:"missed,omitempty"` // gap: log_seqs missed
}

// Recorded answers an Incident once its event is durable.
type Recorded struct{}

// Recorder is the pure core of entity webhook/<name>: it turns each Incident into an event, so
// the audit ring records it in the same commit. It keeps no state of its own.
type Recorder struct{}

// LoadRecorder is the host.Load of the Recorder.
func LoadRecorder(string, persist.View) (host.Core, error) { return Recorder{}, nil }

// Step emits an Incident as its event and answers Recorded.
func (Recorder) Step(_ time.Time, msg any, _ persist.View) host.Output {
	in, ok := msg.(Incident)
	if !ok {
		return host.Output{}
	}
	if !strings.HasPrefix(in.Type, incidentPrefix) {
		return host.Output{Reply: errNotIncident}
	}
	return host.Output{Events: []host.Event{{Type: in.Type, Data: in}}, Reply: Recorded{}}
}
