package profile

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
)

// TestScripts runs testdata/*.txt (coretest.Scripts: a command, "----", the output it must
// give — events, then the reply; -rewrite writes the output instead).
//
//	start <config name>   a daemon start: config.yaml declares the name, the core reloads
//	put <json>            PUT /profile with the body
//	get                   GET /profile
func TestScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/*.txt", func(t *testing.T) func(string) string { return newDriver(t).run })
}

// run performs one command (its last line; earlier lines are # comments) and describes what
// it did.
func (d *driver) run(block string) string {
	lines := strings.Split(block, "\n")
	verb, arg, _ := strings.Cut(lines[len(lines)-1], " ")
	d.Events = nil
	var reply any
	switch verb {
	case "start":
		d.start(arg)
		reply = d.Step(messages.GetWhoami{})
	case "put":
		var upd messages.UpdateProfile
		if err := json.Unmarshal([]byte(arg), &upd); err != nil {
			d.T.Fatalf("put %s: %v", arg, err)
		}
		reply = d.Step(upd)
	case "get":
		reply = d.Step(messages.GetProfile{})
	default:
		d.T.Fatalf("unknown command %q", verb)
	}
	var out []string
	for _, ev := range d.Events {
		out = append(out, fmt.Sprintf("event %s %s", ev.Type, jsonOf(ev.Data)))
	}
	if err, ok := reply.(error); ok {
		out = append(out, "error "+err.Error())
	} else {
		out = append(out, fmt.Sprintf("reply %T %s", reply, jsonOf(reply)))
	}
	return strings.Join(out, "\n")
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
