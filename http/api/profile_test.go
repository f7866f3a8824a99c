package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
)

// The theme's routes carry the access rules docs/endpoints.tsv gives them.
func TestProfileRouteTable(t *testing.T) {
	apitest.CheckRoutes(t, (&api.Profile{}).Routes(), tables...)
}

func TestProfileGetAndPut(t *testing.T) {
	r := newProfRig(t)
	code, p := r.do("GET", "/profile", "")
	if code != 200 || p["display_name"] != "alpha" || p["node_id"] != profPeer || p["avatar"] != "" || p["push_endpoint"] != "" || p["metered"] != false {
		t.Fatalf("GET /profile: %d %v", code, p)
	}
	avatar := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00\x00"))
	body := profJSON(map[string]any{"display_name": "Bob's NAS", "avatar": avatar, "push_endpoint": "https://push.example/up/x", "metered": true})
	code, p = r.do("PUT", "/profile", body)
	if code != 200 || p["display_name"] != "Bob's NAS" || p["avatar"] != avatar || p["metered"] != true || p["updated_at_ms"].(float64) == 0 {
		t.Fatalf("PUT /profile: %d %v", code, p)
	}
	code, p = r.do("PUT", "/profile", `{"avatar":""}`)
	if code != 200 || p["avatar"] != "" || p["display_name"] != "Bob's NAS" {
		t.Fatalf("PUT removing the avatar: %d %v", code, p)
	}
	if code, p = r.do("GET", "/profile", ""); p["push_endpoint"] != "https://push.example/up/x" {
		t.Fatalf("GET after PUT: %d %v", code, p)
	}
	var changed []string
	for _, ev := range r.published() {
		if strings.HasPrefix(ev, "profile_changed ") {
			changed = append(changed, ev)
		}
	}
	// The first is the import of config's node.name when the actor first ran.
	if len(changed) != 3 || !strings.Contains(changed[1], `"fields":["avatar","display_name","metered","push_endpoint"]`) ||
		strings.Contains(changed[1], "push.example") || !strings.Contains(changed[2], `"fields":["avatar"]`) {
		t.Fatalf("profile_changed events: %v", changed)
	}
}

func TestProfilePutRefusesBadInput(t *testing.T) {
	r := newProfRig(t)
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{}`, "name at least one of display_name"},
		{`{"display_name":" "}`, "display_name: must not be empty"},
		{`{"display_name":"` + strings.Repeat("x", 65) + `"}`, "display_name: is longer than 64"},
		{`{"avatar":"data:image/svg+xml;base64,PHN2Zz4="}`, "avatar: image type"},
		{`{"avatar":"http://example.com/a.png"}`, "avatar: must be an https:// URL"},
		{`{"push_endpoint":"http://push.example/"}`, "push_endpoint: must use https"},
		{`{"push_endpoint":"not a url"}`, "push_endpoint: must be an absolute https:// URL"},
		{`{"metered":"yes"}`, `field "metered": want true or false`},
		{`{"nickname":"x"}`, `unknown field "nickname"`},
		{`[]`, "must be an object"},
	} {
		code, body := r.do("PUT", "/profile", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), tc.want) {
			t.Errorf("PUT %s: %d %v, want 400 …%s…", tc.body, code, body, tc.want)
		}
	}
	if code, _ := profDo(t, r.h, "GET", "/profile", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /profile without a bearer: %d", code)
	}
	if _, p := r.do("GET", "/profile", ""); p["display_name"] != "alpha" {
		t.Errorf("a refused PUT changed the profile: %v", p)
	}
}
