package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
)

// scan-status answers a folder vault's progress, and 404 for a vault without a folder.
func TestScanStatus(t *testing.T) {
	want := api.ScanStatus{Active: true, Walked: 12, Ingested: 3, Deleted: 1, Errors: 1, LastError: "ingest /x: boom", StartedAtMs: 1700000000000}
	h := api.NewRouter(api.ScanRoutes(func(id string) (api.ScanStatus, bool) { return want, id == "f1" }),
		api.RouterDeps{Auth: apitest.Authenticator{}})
	get := func(id, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/vaults/"+id+"/scan-status", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	rec := get("f1", apitest.GoodToken)
	var got api.ScanStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil || got != want {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var raw map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	for _, k := range []string{"active", "walked", "ingested", "deleted", "errors", "last_error", "started_at_ms", "finished_at_ms"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, rec.Body)
		}
	}
	if rec := get("plain", apitest.GoodToken); rec.Code != http.StatusNotFound || rec.Body.String() != `{"error":"vault has no folder"}`+"\n" {
		t.Fatalf("a vault without a folder: %d %q", rec.Code, rec.Body)
	}
	if rec := get("f1", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("no bearer: %d", rec.Code)
	}
	nilStatus := api.NewRouter(api.ScanRoutes(nil), api.RouterDeps{Auth: apitest.Authenticator{}})
	r := httptest.NewRequest(http.MethodGet, "/api/v1/vaults/f1/scan-status", nil)
	r.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec = httptest.NewRecorder()
	nilStatus.ServeHTTP(rec, r)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("nil status: %d", rec.Code)
	}
}

func TestScanRouteIsDocumented(t *testing.T) {
	apitest.CheckRoutes(t, api.ScanRoutes(nil), tables...)
}
