package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2-very-secret"
	s := Secret(value)
	type holder struct {
		Key Secret `json:"key"`
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "key", s, "h", holder{s})
	js, _ := json.Marshal(holder{s})
	outs := []string{fmt.Sprint(s), fmt.Sprintf("%v %s %+v %#v %d %x %q %X", s, s, holder{s}, holder{s}, s, s, s, holder{s}), string(js), logged.String()}
	for _, out := range outs {
		if strings.Contains(out, value) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != value || !s.IsSet() || Secret("").IsSet() {
		t.Fatal("Reveal/IsSet do not give the value back")
	}
	var back holder
	if err := json.Unmarshal([]byte(`{"key":"abc"}`), &back); err != nil || back.Key.Reveal() != "abc" {
		t.Fatalf("decode: %v %q", err, back.Key.Reveal())
	}
}
