package settings

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

const entity = messages.SettingsKind + "/" + messages.SettingsID

// driver steps the settings core as a host would, a second apart.
type driver struct{ *coretest.Driver }

func newDriver(t *testing.T) *driver {
	d := &driver{coretest.New(t, entity, Load)}
	d.Store.Buckets = []persist.Bucket{persist.Settings}
	d.Tick = time.Second
	return d
}

// events renders each event as its type and JSON data.
func (d *driver) events() []string {
	var out []string
	for _, ev := range d.Events {
		b, _ := json.Marshal(ev.Data)
		out = append(out, ev.Type+" "+string(b))
	}
	return out
}

// set applies changes given as key → JSON value ("null" resets; a secret's value is sealed
// by prefixing "sealed:").
func (d *driver) set(kv ...string) any {
	var m messages.UpdateSettings
	for i := 0; i+1 < len(kv); i += 2 {
		ch := messages.SettingChange{Key: kv[i]}
		switch v := kv[i+1]; {
		case v == "null":
			ch.Reset = true
		case strings.HasPrefix(v, "sealed:"):
			ch.Sealed = []byte(v)
		default:
			ch.Value = json.RawMessage(v)
		}
		m.Changes = append(m.Changes, ch)
	}
	return d.Step(m)
}

// show renders a SettingsList as key=value pairs; secrets as set/unset.
func show(l messages.SettingsList) string {
	var parts []string
	for _, e := range l.Settings {
		switch {
		case e.Secret && e.Set:
			parts = append(parts, e.Key+"="+string(e.Sealed))
		case e.Secret:
			parts = append(parts, e.Key+"=unset")
		default:
			parts = append(parts, e.Key+"="+string(e.Value))
		}
	}
	return strings.Join(parts, " ")
}

func TestDefaultsUpdateResetAndEvents(t *testing.T) {
	d := newDriver(t)
	defaults := `acoustid_api_key=unset default_replication_factor=2 enrichment_enabled=false musicbrainz_user_agent="" tmdb_api_key=unset ui_theme="system"`
	if got := show(d.Step(messages.GetSettings{}).(messages.SettingsList)); got != defaults {
		t.Fatalf("defaults:\n%s\nwant\n%s", got, defaults)
	}
	r := d.set("ui_theme", `"dark"`, "tmdb_api_key", "sealed:k1", "default_replication_factor", "3", "enrichment_enabled", "false")
	want := `acoustid_api_key=unset default_replication_factor=3 enrichment_enabled=false musicbrainz_user_agent="" tmdb_api_key=sealed:k1 ui_theme="dark"`
	if got := show(r.(messages.SettingsList)); got != want {
		t.Fatalf("after update:\n%s\nwant\n%s", got, want)
	}
	if got := show(d.Step(messages.GetSettings{}).(messages.SettingsList)); got != want {
		t.Fatalf("read back:\n%s\nwant\n%s", got, want)
	}
	d.set("ui_theme", `"dark"`)                               // unchanged: no event
	d.set("ui_theme", `"system"`)                             // back to the default: the record goes
	d.set("tmdb_api_key", "null", "acoustid_api_key", "null") // only the set one changes
	d.set("acoustid_api_key", "null")                         // nothing to reset: no event
	if got := show(d.Step(messages.GetSettings{}).(messages.SettingsList)); got != strings.Replace(defaults, "=2", "=3", 1) {
		t.Fatalf("after resets: %s", got)
	}
	wantEvents := []string{
		`settings_changed {"keys":["default_replication_factor","tmdb_api_key","ui_theme"]}`,
		`settings_changed {"keys":["ui_theme"]}`,
		`settings_changed {"keys":["tmdb_api_key"]}`,
	}
	events := d.events()
	if strings.Join(events, "\n") != strings.Join(wantEvents, "\n") {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(wantEvents, "\n"))
	}
	for _, e := range events {
		if strings.Contains(e, "sealed:") {
			t.Fatalf("an event carries a secret: %s", e)
		}
	}
}

func TestUpdateIsAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kv    []string
		field string
		want  string
	}{
		{"unknown key", []string{"ui_theme", `"dark"`, "colour", `"red"`}, "colour", "unknown setting; known: acoustid_api_key, "},
		{"bad enum", []string{"ui_theme", `"blue"`}, "ui_theme", "want one of light, dark, system"},
		{"out of range", []string{"ui_theme", `"dark"`, "default_replication_factor", "17"}, "default_replication_factor", "17 is out of range: want 1 to 16"},
		{"fraction", []string{"default_replication_factor", "1.5"}, "default_replication_factor", "want a whole number"},
		{"string for bool", []string{"enrichment_enabled", `"yes"`}, "enrichment_enabled", "want true or false"},
		{"secret in clear", []string{"acoustid_api_key", `"abcd1234"`}, "acoustid_api_key", "needs a sealed value"},
		{"bad agent", []string{"musicbrainz_user_agent", `"curl"`}, "musicbrainz_user_agent", "AppName/version"},
		{"nothing", nil, "", "name at least one setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t)
			var invalid *messages.InvalidError
			err, _ := d.set(tc.kv...).(error)
			if !errors.As(err, &invalid) || invalid.Field != tc.field || !strings.Contains(invalid.Reason, tc.want) {
				t.Fatalf("got %v, want %s: …%s…", err, tc.field, tc.want)
			}
			if d.Store.Commits() != 0 || len(d.Events) != 0 {
				t.Fatal("a refused update wrote")
			}
		})
	}
}

func TestRegistryRules(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ok         bool
	}{
		{"acoustid_api_key", `"8XaBELgH"`, true},
		{"acoustid_api_key", `"8XaB ELgH"`, false},
		{"acoustid_api_key", `"abc"`, false},
		{"tmdb_api_key", `"0123456789abcdef0123456789ABCDEF"`, true},
		{"tmdb_api_key", `"eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl"`, true},
		{"tmdb_api_key", `"0123456789abcdef"`, false},
		{"musicbrainz_user_agent", `"MyMesh/1.0 ( me@example.com )"`, true},
		{"musicbrainz_user_agent", `"MyMesh/1.0"`, true},
		{"musicbrainz_user_agent", `""`, true},
		{"musicbrainz_user_agent", `"My Mesh"`, false},
		{"musicbrainz_user_agent", `"MyMesh/1.0 (` + strings.Repeat("x", 200) + `)"`, false},
		{"enrichment_enabled", `true`, true},
		{"enrichment_enabled", `1`, false},
		{"default_replication_factor", `1`, true},
		{"default_replication_factor", `16`, true},
		{"default_replication_factor", `0`, false},
		{"default_replication_factor", `"2"`, false},
		{"ui_theme", `"light"`, true},
		{"ui_theme", `"Light"`, false},
		{"ui_theme", `{}`, false},
		{"ui_theme", `"dark" "light"`, false},
	} {
		spec, found := messages.LookupSetting(tc.key)
		if !found {
			t.Fatalf("%s is not registered", tc.key)
		}
		if _, err := spec.Parse(json.RawMessage(tc.value)); (err == nil) != tc.ok {
			t.Errorf("%s = %s: %v, want ok=%v", tc.key, tc.value, err, tc.ok)
		}
	}
}
