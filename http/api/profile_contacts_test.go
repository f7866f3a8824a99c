package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestContactsLifecycle(t *testing.T) {
	r := newProfRig(t)
	if code, body := r.do("GET", "/contacts", ""); code != 200 || len(body["contacts"].([]any)) != 0 {
		t.Fatalf("empty list: %d %v", code, body)
	}
	code, c := r.do("POST", "/contacts", profJSON(map[string]any{"node_id": profOther, "name": "bob"}))
	if code != http.StatusCreated || c["node_id"] != profOther || c["name"] != "bob" || c["favourite"] != false || c["added_at_ms"].(float64) == 0 {
		t.Fatalf("POST new: %d %v", code, c)
	}
	code, c = r.do("POST", "/contacts", profJSON(map[string]any{"node_id": profOther, "favourite": true}))
	if code != http.StatusOK || c["name"] != "bob" || c["favourite"] != true {
		t.Fatalf("POST existing: %d %v", code, c)
	}
	// PUT upserts too, and a peer id in another encoding (CIDv1) names the same node.
	third, _ := peer.Decode(profThird)
	code, c = r.do("PUT", "/contacts/"+peer.ToCid(third).String(), `{"name":"Alice","note":"lab\nnotes"}`)
	if code != http.StatusCreated || c["node_id"] != profThird {
		t.Fatalf("PUT new by CID: %d %v", code, c)
	}
	code, c = r.do("PUT", "/contacts/"+profThird, profJSON(map[string]any{"node_id": profThird, "name": "alice"}))
	if code != http.StatusOK || c["name"] != "alice" || c["note"] != "lab\nnotes" {
		t.Fatalf("PUT existing: %d %v", code, c)
	}
	code, list := r.do("GET", "/contacts", "")
	cs := list["contacts"].([]any)
	if code != 200 || len(cs) != 2 || cs[0].(map[string]any)["name"] != "bob" || cs[1].(map[string]any)["name"] != "alice" {
		t.Fatalf("list (favourites first): %d %v", code, list)
	}
	if code, c = r.do("GET", "/contacts/"+profThird, ""); code != 200 || c["name"] != "alice" {
		t.Fatalf("GET one: %d %v", code, c)
	}
	if code, _ = r.do("DELETE", "/contacts/"+profThird, ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	for _, method := range []string{"GET", "DELETE"} {
		if code, body := r.do(method, "/contacts/"+profThird, ""); code != http.StatusNotFound || body["error"] != "contact not found" {
			t.Fatalf("%s after DELETE: %d %v", method, code, body)
		}
	}
	var types []string
	for _, ev := range r.published() {
		typ, _, _ := strings.Cut(ev, " ")
		types = append(types, typ)
		if strings.HasPrefix(typ, "contact_") && !strings.Contains(ev, `"contact_node_id":"`) {
			t.Errorf("event without the contact's node id: %s", ev)
		}
		if strings.Contains(ev, "lab") {
			t.Errorf("an event carries a note: %s", ev)
		}
	}
	if got := strings.Join(types, ","); got != "contact_added,contact_updated,contact_added,contact_updated,contact_removed" {
		t.Fatalf("events %s", got)
	}
}

func TestContactsRefuseBadInput(t *testing.T) {
	r := newProfRig(t)
	for _, tc := range []struct {
		method, path, body string
		want               string
	}{
		{"POST", "/contacts", `{"name":"x"}`, "node_id: is required"},
		{"POST", "/contacts", `{"node_id":"bob"}`, "node_id: is not a libp2p peer id"},
		{"POST", "/contacts", `{"node_id":"` + profOther + `","name":"a\nb"}`, "name: must not contain control characters"},
		{"POST", "/contacts", `{"node_id":"` + profOther + `","note":"` + strings.Repeat("n", 1025) + `"}`, "note: is longer than 1024"},
		{"POST", "/contacts", `{"node_id":"` + profOther + `","favourite":1}`, `field "favourite": want true or false`},
		{"POST", "/contacts", `{"node_id":"` + profOther + `","tags":[]}`, `unknown field "tags"`},
		{"PUT", "/contacts/not-a-peer", `{"name":"x"}`, "node_id: is not a libp2p peer id"},
		{"PUT", "/contacts/" + profOther, `{"node_id":"` + profThird + `"}`, "node_id: the body names another node than the path"},
		{"GET", "/contacts/not-a-peer", "", "node_id: is not a libp2p peer id"},
		{"DELETE", "/contacts/not-a-peer", "", "node_id: is not a libp2p peer id"},
	} {
		code, body := r.do(tc.method, tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), tc.want) {
			t.Errorf("%s %s %s: %d %v, want 400 …%s…", tc.method, tc.path, tc.body, code, body, tc.want)
		}
	}
	if _, list := r.do("GET", "/contacts", ""); len(list["contacts"].([]any)) != 0 {
		t.Fatalf("a refused request added a contact: %v", list)
	}
}
