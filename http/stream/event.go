package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// Event is one committed event as every SSE client receives it; it is shared and read-only.
type Event struct {
	Type   string
	LogSeq uint64
	// Data is the JSON envelope on one line (a slice of Frame).
	Data []byte
	// Frame is the whole SSE message: "id: …\nevent: …\ndata: …\n\n".
	Frame []byte
}

// envelopeHead is the part of the JSON envelope the broadcaster needs; decoding into it skips
// every other field.
type envelopeHead struct {
	Type   string `json:"type"`
	LogSeq uint64 `json:"log_seq"`
}

// parseEnvelope builds the Event of a bus message body.
func parseEnvelope(data []byte) (*Event, error) {
	var h envelopeHead
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("envelope is not JSON: %w", err)
	}
	if h.LogSeq == 0 {
		return nil, errors.New("envelope has no log_seq")
	}
	return newEvent(h.Type, h.LogSeq, data)
}

// eventOf renders a committed event read from the event log, exactly as the bus carries it.
func eventOf(ev *eventv1.Event) (*Event, error) {
	return newEvent(ev.GetType(), ev.GetLogSeq(), bus.Envelope(ev))
}

// newEvent renders the SSE frame once; the envelope is copied into it, so the caller's bytes
// may be reused.
func newEvent(typ string, logSeq uint64, envelope []byte) (*Event, error) {
	if !validType(typ) {
		return nil, fmt.Errorf("event type %q is not a snake_case name", typ)
	}
	if bytes.ContainsAny(envelope, "\r\n") {
		// Only whitespace between JSON tokens can hold a raw line break; SSE data is one line.
		var b bytes.Buffer
		if err := json.Compact(&b, envelope); err != nil {
			return nil, fmt.Errorf("envelope is not JSON: %w", err)
		}
		envelope = b.Bytes()
	}
	if len(envelope) == 0 {
		return nil, errors.New("empty envelope")
	}
	f := make([]byte, 0, len(envelope)+len(typ)+40)
	f = append(f, "id: "...)
	f = strconv.AppendUint(f, logSeq, 10)
	f = append(f, "\nevent: "...)
	f = append(f, typ...)
	f = append(f, "\ndata: "...)
	start := len(f)
	f = append(f, envelope...)
	end := len(f)
	f = append(f, "\n\n"...)
	return &Event{Type: typ, LogSeq: logSeq, Data: f[start:end:end], Frame: f}, nil
}

// gapFrame is the stream_gap message: events after lastID up to oldest-1 were pruned. It has
// no id line, so the client's last event id stays where it was.
func gapFrame(lastID, oldest uint64) []byte {
	msg := fmt.Sprintf("events after %d were pruned from the event log; the stream continues with "+
		"log_seq %d. Reload any state built from the events you missed", lastID, oldest)
	data, _ := json.Marshal(struct {
		Type            string `json:"type"`
		LastEventID     uint64 `json:"last_event_id"`
		OldestAvailable uint64 `json:"oldest_available"`
		Message         string `json:"message"`
	}{"stream_gap", lastID, oldest, msg})
	return fmt.Appendf(nil, "event: stream_gap\ndata: %s\n\n", data)
}

// validType reports whether s is a snake_case name: lower-case letters and digits in words
// joined by single underscores, starting with a letter, at most 64 bytes.
func validType(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' && s[i-1] != '_':
		default:
			return false
		}
	}
	return true
}
