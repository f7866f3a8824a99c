package messages

// Outbound webhook incidents (docs/webhooks.md): a delivery problem is recorded as an event of
// entity webhook/<name>, so the audit ring keeps it in the same commit.
const WebhookKind = "webhook"

// The event types of delivery incidents; all start with WebhookIncidentPrefix, which the audit
// ring records and which no outbound webhook ever delivers (a failing receiver cannot feed itself).
const (
	WebhookIncidentPrefix = "webhook_"
	// WebhookFailing: a delivery failed and will be retried; once per streak of failures.
	WebhookFailing = "webhook_failing"
	// WebhookRecovered: a delivery succeeded after a streak of failures.
	WebhookRecovered = "webhook_recovered"
	// WebhookDropped: the receiver refused an event for good (a 4xx other than 408 and 429).
	WebhookDropped = "webhook_dropped"
	// WebhookGap: the event log was pruned past the cursor; the events in between were never sent.
	WebhookGap = "webhook_gap"
)

// WebhookIncident is a delivery problem to record (entity webhook/<name>); the recorder
// answers WebhookRecorded once its event is durable.
type WebhookIncident struct {
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

// WebhookRecorded answers a WebhookIncident once its event is durable.
type WebhookRecorded struct{}
