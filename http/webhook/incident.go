package webhook

import "github.com/meshhold/meshhold/messages"

// Incident is a delivery problem the sender reports; actors/webhook records it as an audited
// event of entity webhook/<name>.
type Incident = messages.WebhookIncident

// The incident types (messages/webhook.go).
const (
	TypeFailing   = messages.WebhookFailing
	TypeRecovered = messages.WebhookRecovered
	TypeDropped   = messages.WebhookDropped
	TypeGap       = messages.WebhookGap
)

// incidentPrefix starts every incident type: such events are never delivered.
const incidentPrefix = messages.WebhookIncidentPrefix
