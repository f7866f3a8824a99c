package profile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

const entity = messages.ProfileKind + "/" + messages.ProfileID

// driver steps the profile core as a host would, a second apart.
type driver struct{ *coretest.Driver }

func newDriver(t *testing.T) *driver {
	d := &driver{coretest.New(t, entity, Load("12D3KooWself"))}
	d.Tick = time.Second
	return d
}

// start writes config's node name as the daemon does at each start, then reloads the core.
func (d *driver) start(configName string) {
	d.T.Helper()
	info := marshal(&storev1.NodeInfo{Name: configName})
	if err := d.Store.Commit([]persist.Write{{Bucket: persist.Meta, Key: InfoKey, Value: info}}); err != nil {
		d.T.Fatal(err)
	}
	d.Reload()
}

func ptr[T any](v T) *T { return &v }

// dataURL is a data: URL of typ whose payload is magic followed by n zero bytes.
func dataURL(typ, magic string, n int) string {
	return "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(append([]byte(magic), make([]byte, n)...))
}

func TestUpdateValidatesEachField(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n"
	for _, tc := range []struct {
		name  string
		upd   messages.UpdateProfile
		field string // "" means accepted
		want  string
	}{
		{"nothing", messages.UpdateProfile{}, "", "name at least one"},
		{"name", messages.UpdateProfile{DisplayName: ptr("Zoë's laptop")}, "", ""},
		{"blank name", messages.UpdateProfile{DisplayName: ptr("  ")}, "display_name", "must not be empty"},
		{"long name", messages.UpdateProfile{DisplayName: ptr(strings.Repeat("é", 65))}, "display_name", "longer than 64"},
		{"newline", messages.UpdateProfile{DisplayName: ptr("a\nb")}, "display_name", "control characters"},
		{"png avatar", messages.UpdateProfile{Avatar: ptr(dataURL("image/png", png, 100))}, "", ""},
		{"webp avatar", messages.UpdateProfile{Avatar: ptr(dataURL("image/webp", "RIFF\x00\x00\x00\x00WEBP", 10))}, "", ""},
		{"https avatar", messages.UpdateProfile{Avatar: ptr("https://example.com/me.png")}, "", ""},
		{"clear avatar", messages.UpdateProfile{Avatar: ptr("")}, "", ""},
		{"huge avatar", messages.UpdateProfile{Avatar: ptr(dataURL("image/png", png, messages.MaxAvatarBytes))}, "avatar", "larger than 64 KiB"},
		{"svg avatar", messages.UpdateProfile{Avatar: ptr("data:image/svg+xml;base64,PHN2Zz4=")}, "avatar", "not one of"},
		{"not base64", messages.UpdateProfile{Avatar: ptr("data:image/png;base64,@@@")}, "avatar", "not valid base64"},
		{"not a png", messages.UpdateProfile{Avatar: ptr(dataURL("image/png", "GIF89a", 4))}, "avatar", "does not look like image/png data"},
		{"url-encoded data", messages.UpdateProfile{Avatar: ptr("data:image/png,abc")}, "avatar", "data:<image type>;base64"},
		{"http avatar", messages.UpdateProfile{Avatar: ptr("http://example.com/me.png")}, "avatar", "https"},
		{"https push", messages.UpdateProfile{PushEndpoint: ptr("https://push.example/up/abc")}, "", ""},
		{"loopback push", messages.UpdateProfile{PushEndpoint: ptr("http://127.0.0.1:8090/push")}, "", ""},
		{"ipv6 loopback push", messages.UpdateProfile{PushEndpoint: ptr("http://[::1]:8090/push")}, "", ""},
		{"localhost push", messages.UpdateProfile{PushEndpoint: ptr("http://localhost/push")}, "", ""},
		{"http push", messages.UpdateProfile{PushEndpoint: ptr("http://push.example/up")}, "push_endpoint", "plain http only to a loopback"},
		{"relative push", messages.UpdateProfile{PushEndpoint: ptr("/push")}, "push_endpoint", "absolute https"},
		{"ftp push", messages.UpdateProfile{PushEndpoint: ptr("ftp://push.example/")}, "push_endpoint", "https"},
		{"credentials", messages.UpdateProfile{PushEndpoint: ptr("https://u:p@push.example/")}, "push_endpoint", "user name or password"},
		{"long push", messages.UpdateProfile{PushEndpoint: ptr("https://x.example/" + strings.Repeat("a", messages.MaxURL))}, "push_endpoint", "longer than 2048"},
		{"metered", messages.UpdateProfile{Metered: ptr(true)}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t)
			d.start("alpha")
			reply := d.Step(tc.upd)
			var invalid *messages.InvalidError
			switch {
			case tc.want == "":
				if _, ok := reply.(messages.Profile); !ok {
					t.Fatalf("refused: %v", reply)
				}
			case !errors.As(reply.(error), &invalid) || invalid.Field != tc.field || !strings.Contains(invalid.Reason, tc.want):
				t.Fatalf("got %v, want %s: …%s…", reply, tc.field, tc.want)
			}
		})
	}
}

func TestUpdateReportsChangedFieldsOnly(t *testing.T) {
	d := newDriver(t)
	d.start("alpha")
	d.Events = nil
	p := d.Step(messages.UpdateProfile{DisplayName: ptr("Bob"), Metered: ptr(true), Avatar: ptr("")}).(messages.Profile)
	if p.DisplayName != "Bob" || !p.Metered || p.NodeID != "12D3KooWself" || p.UpdatedMs != d.Now.UnixMilli() {
		t.Fatalf("profile %+v", p)
	}
	want := messages.ProfileChanged{Fields: []string{"display_name", "metered"}, DisplayName: "Bob", Metered: true, Via: "api"}
	if len(d.Events) != 1 || d.Events[0].Type != "profile_changed" || !equalJSON(d.Events[0].Data, want) {
		t.Fatalf("events %+v", d.Events)
	}
	d.Step(messages.UpdateProfile{DisplayName: ptr("Bob"), Metered: ptr(true)})
	if len(d.Events) != 1 {
		t.Fatalf("an update that changes nothing reported %+v", d.Events[1:])
	}
	if w := d.Step(messages.GetWhoami{}).(messages.Whoami); w.Name != "Bob" {
		t.Fatalf("whoami %+v", w)
	}
	if err, _ := d.Step("bogus").(error); err == nil {
		t.Fatal("an unknown command was answered")
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
