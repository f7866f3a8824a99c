package webhook_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/webhook"
	"github.com/meshhold/meshhold/messages"
)

// The Recorder turns an incident into one event of its type carrying the incident's fields,
// and refuses types that are not incidents (so it cannot be used to forge other events).
func TestRecorderEmitsIncidentEvents(t *testing.T) {
	core, err := webhook.LoadRecorder("webhook/ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	in := messages.WebhookIncident{Type: messages.WebhookDropped, Webhook: "ci", URL: "https://example.net", Delivery: 7, EventType: "vault_created", Status: 404, Attempts: 1}
	out := core.Step(time.Now(), in, nil)
	if _, ok := out.Reply.(messages.WebhookRecorded); !ok || len(out.Events) != 1 || out.Events[0].Type != messages.WebhookDropped {
		t.Fatalf("output %+v", out)
	}
	b, _ := json.Marshal(out.Events[0].Data)
	const want = `{"webhook":"ci","url":"https://example.net","delivery":7,"event_type":"vault_created","status":404,"attempts":1}`
	if string(b) != want {
		t.Errorf("event data %s, want %s", b, want)
	}
	out = core.Step(time.Now(), messages.WebhookIncident{Type: "vault_deleted"}, nil)
	if _, isErr := out.Reply.(error); !isErr || len(out.Events) != 0 {
		t.Errorf("a non-incident type gave %+v", out)
	}
	if out := core.Step(time.Now(), host.Recovered{}, nil); len(out.Events) != 0 || out.Reply != nil {
		t.Errorf("Recovered gave %+v", out)
	}
}
