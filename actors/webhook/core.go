// Package webhook is the outbound webhooks' incident recorder: entity webhook/<name> turns
// each delivery problem into an event, so the audit ring records it in the same commit. The
// deliveries themselves (reading the event log from a stored cursor, signing, retrying) are
// I/O and live in http/webhook.
package webhook

import (
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// errNotIncident refuses a type that is not an incident, so the recorder cannot forge events.
var errNotIncident = messages.Invalid("type", "not a webhook incident type")

// Recorder is the pure core of entity webhook/<name>. It keeps no state of its own.
type Recorder struct{}

// LoadRecorder is the host.Load of the Recorder.
func LoadRecorder(string, persist.View) (host.Core, error) { return Recorder{}, nil }

// Step emits a WebhookIncident as its event and answers WebhookRecorded.
func (Recorder) Step(_ time.Time, msg any, _ persist.View) host.Output {
	in, ok := msg.(messages.WebhookIncident)
	if !ok {
		return host.Output{}
	}
	if !strings.HasPrefix(in.Type, messages.WebhookIncidentPrefix) {
		return host.Output{Reply: errNotIncident}
	}
	return host.Output{Events: []host.Event{{Type: in.Type, Data: in}}, Reply: messages.WebhookRecorded{}}
}
