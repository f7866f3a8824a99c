package joinurl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestJoinRedacted(t *testing.T) {
	j := Join{Name: "home", Key: testKey(t), Peers: []string{"/ip4/10.0.0.1/tcp/1/p2p/" + idA}}
	fp := j.Key.Fingerprint()
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, verb+" "+fmt.Sprintf(verb, j), verb+" ptr "+fmt.Sprintf(verb, &j))
	}
	outs = append(outs, "Sprint "+fmt.Sprint(j), "String "+j.String(), "nested "+fmt.Sprintf("%v", []any{j}))
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, "json "+string(b))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("joining", "join", j, "ptr", &j)
	}
	outs = append(outs, "slog "+buf.String())
	for _, o := range outs {
		if strings.Contains(strings.ToLower(o), hexKey[:16]) {
			t.Errorf("key leaked: %s", o)
		}
		if !strings.Contains(o, fp) {
			t.Errorf("no fingerprint %s in: %s", fp, o)
		}
	}
	if !strings.Contains(j.URL(), hexKey) {
		t.Error("URL lost the key")
	}
}
