package openapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/openapi"
)

// load builds the document of routes and loads it with kin-openapi, which validates it.
func load(t *testing.T, routes []api.Route) (*openapi3.T, []byte) {
	t.Helper()
	all, err := openapi.Mount(routes, "test")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := openapi.Document(all, "test")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	return doc, raw
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, raw := load(t, (&api.System{}).Routes())
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	paths, _ := openapi.Paths(raw)
	for _, want := range []string{"GET /whoami", "POST /auth/tokens", "DELETE /auth/tokens/{id}", "GET /openapi.json", "GET /events/stream"} {
		if !strings.Contains(strings.Join(paths, "\n"), want) {
			t.Errorf("the document lacks %s", want)
		}
	}
	login := doc.Paths.Find("/auth/login").Post
	if login.RequestBody == nil || login.Responses.Status(200) == nil || login.Security == nil || len(*login.Security) != 0 {
		t.Fatalf("login operation: %+v", login)
	}
	if sec := *doc.Paths.Find("/events/stream").Get.Security; len(sec) != 2 {
		t.Fatalf("the event stream takes a bearer or ?token=: %v", sec)
	}
}

// Schemas follow the Go types: required fields, omitempty, embedded structs, nested refs.
func TestSchemasFollowTypes(t *testing.T) {
	_, raw := load(t, (&api.System{}).Routes())
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	who := d.Components.Schemas["WhoamiReply"]
	for _, f := range []string{"node_id", "name", "principal"} {
		if _, ok := who.Properties[f]; !ok {
			t.Fatalf("WhoamiReply lacks %s (embedded fields must be flattened): %v", f, who.Properties)
		}
	}
	p := d.Components.Schemas["Principal"]
	if len(p.Required) != 1 || p.Required[0] != "kind" {
		t.Fatalf("Principal requires %v, want only kind (id and name are omitempty)", p.Required)
	}
}

// A route without a summary is refused: the document must describe everything it lists.
func TestUndescribedRouteIsRefused(t *testing.T) {
	_, err := openapi.Document([]api.Route{{Method: "GET", Pattern: "/x", Access: api.Open}}, "t")
	if err == nil || !strings.Contains(err.Error(), "Summary") {
		t.Fatalf("err = %v", err)
	}
}
