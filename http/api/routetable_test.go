package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
)

// tables are the documented route tables, relative to this folder.
var tables = []string{"../../docs/endpoints.tsv", "../../docs/api-extensions.tsv"}

// served is every route this package serves so far; the daemon feeds its full list to
// apitest.CheckRoutes the same way.
func served() []api.Route { return (&api.System{Version: "test"}).Routes() }

func TestRouteTable(t *testing.T) {
	apitest.CheckRoutes(t, served(), tables...)
}

// TestReferenceRoutes mounts every documented route with a stub handler: the whole reference
// must route in chi without overlaps, and every access rule must hold on every path.
func TestReferenceRoutes(t *testing.T) {
	table, err := apitest.LoadTable(tables...)
	if err != nil {
		t.Fatal(err)
	}
	var routes []api.Route
	for _, row := range table {
		body := api.JSON
		if row.Access == api.HookToken || row.Pattern == "/vaults/{vault_id}/upload/*" {
			body = api.Raw
		}
		routes = append(routes, api.Route{Method: row.Method, Pattern: row.Pattern, Access: row.Access, Body: body, Handler: func(http.ResponseWriter, *http.Request) {}})
	}
	slices.SortFunc(routes, func(a, b api.Route) int { return strings.Compare(a.String(), b.String()) })
	if len(routes) < 200 {
		t.Fatalf("only %d documented routes; is %s the reference?", len(routes), tables[0])
	}
	apitest.CheckRoutes(t, routes, tables...)
}

func TestPatternConversion(t *testing.T) {
	for doc, chi := range map[string]string{
		"/vaults/:vault_id/files/*path":     "/vaults/{vault_id}/files/*",
		"/library/prefs/:vault_id/:file_id": "/library/prefs/{vault_id}/{file_id}",
		"/version":                          "/version",
	} {
		if got := apitest.ChiPattern(doc); got != chi {
			t.Errorf("ChiPattern(%q) = %q, want %q", doc, got, chi)
		}
		if got := apitest.DocPath(chi); got != doc {
			t.Errorf("DocPath(%q) = %q, want %q", chi, got, doc)
		}
	}
}

func TestMismatches(t *testing.T) {
	table, err := apitest.LoadTable(tables...)
	if err != nil {
		t.Fatal(err)
	}
	nop := func(http.ResponseWriter, *http.Request) {}
	for _, tc := range []struct {
		route api.Route
		want  string
	}{
		{api.Route{Method: http.MethodGet, Pattern: "/not-in-the-reference", Access: api.Open, Handler: nop}, "not documented"},
		{api.Route{Method: http.MethodGet, Pattern: "/whoami", Access: api.Open, Handler: nop}, `documents "bearer"`},
		{api.Route{Method: http.MethodGet, Pattern: "/vaults/{vault_id}/stream/*", Access: api.Bearer, Handler: nop}, `documents "bearer-or-query-token"`},
	} {
		errs := apitest.Mismatches([]api.Route{tc.route}, table)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%s: got %v, want one error containing %q", tc.route, errs, tc.want)
		}
	}
	if errs := apitest.Mismatches(served(), table); len(errs) != 0 {
		t.Errorf("served routes: %v", errs)
	}
}
