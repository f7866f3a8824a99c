package profile

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output in testdata/*.txt")

// TestScripts runs testdata/*.txt: blocks of a command, "----" and the output it must give
// (events, then the reply), separated by blank lines. -rewrite writes the output instead.
//
//	start <config name>   a daemon start: config.yaml declares the name, the core reloads
//	put <json>            PUT /profile with the body
//	get                   GET /profile
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d := newDriver(t)
			var got strings.Builder
			for _, block := range strings.Split(strings.TrimSpace(string(src)), "\n\n") {
				cmd, want, _ := strings.Cut(block+"\n", "\n----\n")
				out := d.run(cmd)
				got.WriteString(cmd + "\n----\n" + out + "\n\n")
				if !*rewrite && strings.TrimSpace(want) != out {
					t.Errorf("%s\n----\ngot:\n%s\nwant:\n%s", cmd, out, want)
				}
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(strings.TrimSuffix(got.String(), "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
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
