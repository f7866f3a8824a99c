package bus_test

import (
	"encoding/json"
	"testing"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/messages/eventv1"
)

func TestEnvelope(t *testing.T) {
	cases := []struct {
		name string
		ev   *eventv1.Event
		want map[string]any
	}{
		{
			name: "fields and data",
			ev: &eventv1.Event{Type: "message_posted", Entity: "room/r1", Seq: 7, LogSeq: 42,
				NodeId: "12D3Koo", TsMs: 1700000000123, Data: []byte(`{"text":"hi \"there\"","n":3,"nested":{"a":[1,2]}}`)},
			want: map[string]any{"type": "message_posted", "entity": "room/r1", "seq": 7.0, "log_seq": 42.0,
				"node_id": "12D3Koo", "ts_ms": 1700000000123.0, "text": `hi "there"`, "n": 3.0,
				"nested": map[string]any{"a": []any{1.0, 2.0}}},
		},
		{
			name: "envelope wins over data",
			ev:   &eventv1.Event{Type: "t", Entity: "vault/v", Seq: 1, LogSeq: 2, Data: []byte(`{"type":"forged","seq":99,"ok":true}`)},
			want: map[string]any{"type": "t", "entity": "vault/v", "seq": 1.0, "log_seq": 2.0, "node_id": "", "ts_ms": 0.0, "ok": true},
		},
		{
			name: "no data",
			ev:   &eventv1.Event{Type: "x", Entity: "agent/a"},
			want: map[string]any{"type": "x", "entity": "agent/a", "seq": 0.0, "log_seq": 0.0, "node_id": "", "ts_ms": 0.0},
		},
		{
			name: "data not an object",
			ev:   &eventv1.Event{Type: "x", Entity: "agent/a", Data: []byte(`[1,2]`)},
			want: map[string]any{"type": "x", "entity": "agent/a", "seq": 0.0, "log_seq": 0.0, "node_id": "", "ts_ms": 0.0},
		},
		{
			name: "strings needing escapes",
			ev:   &eventv1.Event{Type: "a\"b", Entity: "room/<\n>", Seq: 18446744073709551615},
			want: map[string]any{"type": "a\"b", "entity": "room/<\n>", "seq": 18446744073709551615.0, "log_seq": 0.0, "node_id": "", "ts_ms": 0.0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := bus.Envelope(c.ev)
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Errorf("got %d fields %v, want %d %v", len(got), got, len(c.want), c.want)
			}
			for k, w := range c.want {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, w) {
					t.Errorf("%s = %s, want %s", k, g, mustJSON(t, w))
				}
			}
		})
	}
}

func TestEnvelopeKeepsLargeNumbersExact(t *testing.T) {
	out := bus.Envelope(&eventv1.Event{Type: "x", Seq: 18446744073709551615, LogSeq: 9007199254740993})
	var got struct {
		Seq    uint64 `json:"seq"`
		LogSeq uint64 `json:"log_seq"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Seq != 18446744073709551615 || got.LogSeq != 9007199254740993 {
		t.Errorf("got %+v from %s", got, out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
