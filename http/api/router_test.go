package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// conventionRoutes exercise the conventions; all open so no credentials get in the way.
func conventionRoutes() []api.Route {
	ok := func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"ok": r.Method})
	}
	return []api.Route{
		{Method: http.MethodGet, Pattern: "/vaults/{vault_id}", Access: api.Open, Handler: func(w http.ResponseWriter, r *http.Request) {
			api.WriteError(w, r, messages.NotFound("vault"))
		}},
		{Method: http.MethodPatch, Pattern: "/vaults/{vault_id}", Access: api.Open, Handler: ok},
		{Method: http.MethodDelete, Pattern: "/vaults/{vault_id}", Access: api.Open, Handler: ok},
		{Method: http.MethodPost, Pattern: "/vaults/unlock", Access: api.Open, Handler: ok},
		{Method: http.MethodPost, Pattern: "/vaults/{vault_id}/upload/*", Access: api.Open, Body: api.Raw, Handler: ok},
		{Method: http.MethodPost, Pattern: "/instances/{id}/attachments", Access: api.Open, Body: api.Multipart, Handler: ok},
		{Method: http.MethodGet, Pattern: "/panic", Access: api.Open, Handler: func(http.ResponseWriter, *http.Request) { panic("boom") }},
		{Method: http.MethodGet, Pattern: "/hooks/{token}", Access: api.HookToken, Handler: func(http.ResponseWriter, *http.Request) { panic("hook boom") }},
	}
}

// serve sends one request to a router of conventionRoutes and returns the recorder.
func serve(t *testing.T, log *slog.Logger, method, target, contentType string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	h := api.NewRouter(conventionRoutes(), api.RouterDeps{Logger: log})
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorOf decodes a {"error": …} body, failing the test on any other shape.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 || body["error"] == "" {
		t.Fatalf("body %q is not {\"error\": …}", rec.Body)
	}
	return body["error"]
}

func TestNoSuchRouteIsNotAMissingResource(t *testing.T) {
	for _, target := range []string{"/api/v1/nope", "/api/v1/vaults/v1/nope", "/elsewhere", "/api/v1/vaults/v1/"} {
		rec := serve(t, nil, http.MethodGet, target, "", nil)
		if rec.Code != http.StatusNotFound || errorOf(t, rec) != "no such route" {
			t.Errorf("GET %s: %d %s, want 404 no such route", target, rec.Code, rec.Body)
		}
	}
	rec := serve(t, nil, http.MethodGet, "/api/v1/vaults/v1", "", nil)
	if rec.Code != http.StatusNotFound || errorOf(t, rec) != "vault not found" {
		t.Errorf("handler's not-found: %d %s", rec.Code, rec.Body)
	}
}

func TestMethodNotAllowedListsExactlyTheServedMethods(t *testing.T) {
	for _, tc := range []struct{ method, target, allow string }{
		{http.MethodPut, "/api/v1/vaults/v1", "DELETE, GET, HEAD, OPTIONS, PATCH"},
		// /vaults/unlock is a static POST route, but GET/PATCH/DELETE reach /vaults/{vault_id} too.
		{http.MethodPut, "/api/v1/vaults/unlock", "DELETE, GET, HEAD, OPTIONS, PATCH, POST"},
		{http.MethodGet, "/api/v1/vaults/v1/upload/a/b.txt", "OPTIONS, POST"},
		{"BREW", "/api/v1/vaults/v1/upload/a/b.txt", "OPTIONS, POST"},
	} {
		rec := serve(t, nil, tc.method, tc.target, "", nil)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", tc.method, tc.target, rec.Code)
		}
		if got := rec.Header().Values("Allow"); len(got) != 1 || got[0] != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.target, got, tc.allow)
		}
		if msg := errorOf(t, rec); !strings.Contains(msg, tc.method) {
			t.Errorf("%s %s: message %q does not name the method", tc.method, tc.target, msg)
		}
	}
}

func TestOptionsAndHead(t *testing.T) {
	rec := serve(t, nil, http.MethodOptions, "/api/v1/vaults/v1", "", nil)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Allow") != "DELETE, GET, HEAD, OPTIONS, PATCH" {
		t.Errorf("OPTIONS: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec := serve(t, nil, http.MethodOptions, "/api/v1/nope", "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("OPTIONS on no route: %d, want 404", rec.Code)
	}
	h := api.NewRouter((&api.System{Version: "1.2.3"}).Routes(), api.RouterDeps{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Head(srv.URL + "/api/v1/version")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD /version: %d %q, want the GET answer without a body", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	const json = `{"password":"x"}`
	for _, tc := range []struct {
		target, contentType, body string
		want                      int
	}{
		{"/api/v1/vaults/unlock", "application/json", json, http.StatusOK},
		{"/api/v1/vaults/unlock", "application/json; charset=utf-8", json, http.StatusOK},
		{"/api/v1/vaults/unlock", "Application/JSON", json, http.StatusOK},
		{"/api/v1/vaults/unlock", "", "", http.StatusOK},           // bodyless POST
		{"/api/v1/vaults/unlock", "text/plain", "", http.StatusOK}, // no body, any type
		{"/api/v1/vaults/unlock", "", json, http.StatusUnsupportedMediaType},
		{"/api/v1/vaults/unlock", "text/plain", json, http.StatusUnsupportedMediaType},
		{"/api/v1/vaults/unlock", "application/x-www-form-urlencoded", json, http.StatusUnsupportedMediaType},
		{"/api/v1/vaults/unlock", "application/json; charset=latin1", json, http.StatusUnsupportedMediaType},
		{"/api/v1/vaults/unlock", "application/json;;", json, http.StatusUnsupportedMediaType},
		{"/api/v1/vaults/v1/upload/photo.jpg", "image/jpeg", "\xff\xd8", http.StatusOK},
		{"/api/v1/vaults/v1/upload/photo.jpg", "", "\xff\xd8", http.StatusOK},
		{"/api/v1/instances/i1/attachments", "multipart/form-data; boundary=x", "--x--", http.StatusOK},
		{"/api/v1/instances/i1/attachments", "application/json", json, http.StatusUnsupportedMediaType},
	} {
		rec := serve(t, nil, http.MethodPost, tc.target, tc.contentType, strings.NewReader(tc.body))
		if rec.Code != tc.want {
			t.Errorf("POST %s (%q, %d bytes): %d %s, want %d", tc.target, tc.contentType, len(tc.body), rec.Code, rec.Body, tc.want)
		}
		if tc.want == http.StatusUnsupportedMediaType {
			errorOf(t, rec)
		}
	}
}

func TestChunkedBodyNeedsJSON(t *testing.T) {
	srv := httptest.NewServer(api.NewRouter(conventionRoutes(), api.RouterDeps{}))
	defer srv.Close()
	// io.MultiReader hides the length, so the client sends the body chunked.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/vaults/unlock", io.MultiReader(strings.NewReader("{}")))
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("chunked text/plain: %d, want 415", res.StatusCode)
	}
}

func TestPanicIs500AndLogged(t *testing.T) {
	var logged bytes.Buffer
	rec := serve(t, slog.New(slog.NewJSONHandler(&logged, nil)), http.MethodGet, "/api/v1/panic", "", nil)
	if rec.Code != http.StatusInternalServerError || errorOf(t, rec) != "internal error" {
		t.Errorf("panic: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logged.String(), "boom") || !strings.Contains(logged.String(), "router_test.go") {
		t.Errorf("log lacks the panic value or its stack: %s", logged.String())
	}
}

// A panic under /hooks/ is logged without the path, which is the webhook's secret.
func TestPanicLogLeavesOutAHookToken(t *testing.T) {
	var logged bytes.Buffer
	rec := serve(t, slog.New(slog.NewJSONHandler(&logged, nil)), http.MethodGet, "/api/v1/hooks/s3cr3t-hook-token", "", nil)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(logged.String(), "hook boom") {
		t.Fatalf("panic: %d %s; log %s", rec.Code, rec.Body, logged.String())
	}
	if strings.Contains(logged.String(), "s3cr3t-hook-token") {
		t.Errorf("the log carries the hook token: %s", logged.String())
	}
}

func TestBadRouteDeclarationsPanic(t *testing.T) {
	nop := func(http.ResponseWriter, *http.Request) {}
	for name, routes := range map[string][]api.Route{
		"duplicate": {{Method: "GET", Pattern: "/a", Access: api.Open, Handler: nop}, {Method: "GET", Pattern: "/a", Access: api.Bearer, Handler: nop}},
		"access":    {{Method: "GET", Pattern: "/a", Access: "public", Handler: nop}},
		"method":    {{Method: "get", Pattern: "/a", Access: api.Open, Handler: nop}},
		"prefix":    {{Method: "GET", Pattern: "/api/v1/a", Access: api.Open, Handler: nop}},
		"handler":   {{Method: "GET", Pattern: "/a", Access: api.Open}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewRouter accepted a bad route", name)
				}
			}()
			api.NewRouter(routes, api.RouterDeps{})
		}()
	}
}
