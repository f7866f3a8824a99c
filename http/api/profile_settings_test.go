package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

const tmdbKey = "0123456789abcdef0123456789abcdef"

func TestSettingsGetPutAndSecrets(t *testing.T) {
	r := newProfRig(t)
	code, s := r.do("GET", "/settings", "")
	want := `{"acoustid_api_key":{"set":false},"default_replication_factor":2,"enrichment_enabled":false,"musicbrainz_user_agent":"","tmdb_api_key":{"set":false},"ui_theme":"system"}`
	if code != 200 || profJSON(s) != want {
		t.Fatalf("GET /settings: %d %s", code, profJSON(s))
	}
	code, s = r.do("PUT", "/settings", `{"tmdb_api_key":"`+tmdbKey+`","ui_theme":"dark","enrichment_enabled":true}`)
	want = `{"acoustid_api_key":{"set":false},"default_replication_factor":2,"enrichment_enabled":true,"musicbrainz_user_agent":"","tmdb_api_key":{"set":true},"ui_theme":"dark"}`
	if code != 200 || profJSON(s) != want {
		t.Fatalf("PUT /settings: %d %s", code, profJSON(s))
	}
	if _, s = r.do("GET", "/settings", ""); profJSON(s) != want {
		t.Fatalf("GET after PUT: %s", profJSON(s))
	}
	// The record holds ciphertext that only the keyring opens, for this key's purpose.
	var rec storev1.Setting
	raw := r.profRecord(persist.Settings, messages.SettingsKind+"/"+messages.SettingsID+"/tmdb_api_key")
	if err := proto.Unmarshal(raw, &rec); err != nil || len(rec.GetSealed()) == 0 || bytes.Contains(raw, []byte(tmdbKey)) {
		t.Fatalf("stored secret %q (%v)", raw, err)
	}
	if plain, err := r.keys.Open(messages.SecretPurpose("tmdb_api_key"), rec.GetSealed()); err != nil || string(plain) != tmdbKey {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := r.keys.Open(messages.SecretPurpose("acoustid_api_key"), rec.GetSealed()); err == nil {
		t.Fatal("a sealed value opened for another key")
	}
	code, s = r.do("PUT", "/settings", `{"tmdb_api_key":null,"ui_theme":null}`)
	if code != 200 || profJSON(s) != strings.NewReplacer(`"tmdb_api_key":{"set":true}`, `"tmdb_api_key":{"set":false}`, `"dark"`, `"system"`).Replace(want) {
		t.Fatalf("reset: %d %s", code, profJSON(s))
	}
	var changed []string
	for _, ev := range r.published() {
		if strings.Contains(ev, tmdbKey) {
			t.Fatalf("an event carries the secret: %s", ev)
		}
		if strings.HasPrefix(ev, "settings_changed ") {
			changed = append(changed, ev)
		}
	}
	if len(changed) != 2 || !strings.Contains(changed[0], `"keys":["enrichment_enabled","tmdb_api_key","ui_theme"]`) || !strings.Contains(changed[1], `"keys":["tmdb_api_key","ui_theme"]`) {
		t.Fatalf("settings_changed events: %v", changed)
	}
}

func TestSettingsPutRefusesBadInputAllOrNothing(t *testing.T) {
	r := newProfRig(t)
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"ui_theme":"dark","colour":"red"}`, "colour: unknown setting; known: acoustid_api_key, default_replication_factor"},
		{`{"ui_theme":"dark","default_replication_factor":0}`, "default_replication_factor: 0 is out of range: want 1 to 16"},
		{`{"enrichment_enabled":"yes","ui_theme":"dark"}`, "enrichment_enabled: want true or false"},
		{`{"ui_theme":"blue"}`, "ui_theme: want one of light, dark, system"},
		{`{"acoustid_api_key":"no spaces please","ui_theme":"dark"}`, "acoustid_api_key: want an AcoustID application key"},
		{`{"tmdb_api_key":42}`, "tmdb_api_key: want a string"},
		{`{}`, "name at least one setting"},
		{`null`, "name at least one setting"},
		{`["ui_theme"]`, "must be an object"},
	} {
		code, body := r.do("PUT", "/settings", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), tc.want) {
			t.Errorf("PUT %s: %d %v, want 400 …%s…", tc.body, code, body, tc.want)
		}
	}
	if _, s := r.do("GET", "/settings", ""); s["ui_theme"] != "system" {
		t.Fatalf("a refused PUT changed a setting: %v", s)
	}
}

func TestSettingsSecretsNeedASealer(t *testing.T) {
	r := newProfRig(t)
	routes := *r.routes
	routes.Sealer = nil
	h := api.NewRouter(routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	if code, body := profDo(t, h, "PUT", "/settings", `{"acoustid_api_key":"8XaBELgH"}`, "Bearer "+apitest.GoodToken); code != http.StatusServiceUnavailable {
		t.Fatalf("a secret without a sealer: %d %v", code, body)
	}
	if code, body := profDo(t, h, "PUT", "/settings", `{"ui_theme":"light"}`, "Bearer "+apitest.GoodToken); code != 200 || body["ui_theme"] != "light" {
		t.Fatalf("a plain setting without a sealer: %d %v", code, body)
	}
}
