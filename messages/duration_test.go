package messages

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1h30m")); err != nil || d.Std() != 90*time.Minute {
		t.Fatalf("1h30m: %v %v", d, err)
	}
	for _, bad := range []string{"", "900", "15 minutes", "m"} {
		err := d.UnmarshalText([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), "Go duration") {
			t.Errorf("%q: err = %v, want a clear duration error", bad, err)
		}
	}
	type holder struct {
		Window Duration `json:"window"`
	}
	js, err := json.Marshal(holder{Duration(15 * time.Minute)})
	if err != nil || string(js) != `{"window":"15m0s"}` {
		t.Fatalf("marshal: %s %v", js, err)
	}
	var back holder
	if err := json.Unmarshal(js, &back); err != nil || back.Window.Std() != 15*time.Minute {
		t.Fatalf("round trip: %v %v", back.Window, err)
	}
}
