package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
)

// down is an Authenticator whose token store is unavailable.
type down struct{}

func (down) Authenticate(context.Context, string) (api.Principal, error) {
	return api.Principal{}, messages.ErrUnavailable
}

// authRoutes has one route of each checked rule; the handler echoes what it saw.
func authRoutes() []api.Route {
	echo := func(w http.ResponseWriter, r *http.Request) {
		p, _ := api.PrincipalFrom(r.Context())
		api.WriteJSON(w, http.StatusOK, map[string]string{"principal": p.ID, "query": r.URL.RawQuery})
	}
	return []api.Route{
		{Method: http.MethodGet, Pattern: "/whoami", Access: api.Bearer, Handler: echo},
		{Method: http.MethodGet, Pattern: "/events/stream", Access: api.BearerOrQueryToken, Handler: echo},
		{Method: http.MethodPost, Pattern: "/auth/admin/set-password", Access: api.AdminToken, Handler: echo},
		{Method: http.MethodPost, Pattern: "/_mcp/sessions/{sid}/approve", Access: api.Loopback, Handler: echo},
	}
}

// call sends one request with optional headers and remote address.
func call(h http.Handler, method, target string, headers map[string]string, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestNoAuthenticatorRefusesEveryBearer(t *testing.T) {
	h := api.NewRouter(authRoutes(), api.RouterDeps{})
	for _, target := range []string{"/api/v1/whoami", "/api/v1/events/stream?token=x"} {
		rec := call(h, http.MethodGet, target, map[string]string{"Authorization": "Bearer x"}, "")
		if rec.Code != http.StatusUnauthorized || !strings.Contains(errorOf(t, rec), "no credentials can be issued yet") {
			t.Errorf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}
	rec := call(h, http.MethodPost, "/api/v1/auth/admin/set-password", map[string]string{api.AdminTokenHeader: "x"}, "")
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("admin token without a checker: %d", rec.Code)
	}
}

func TestBearerMessages(t *testing.T) {
	h := api.NewRouter(authRoutes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	for _, tc := range []struct {
		target, authorization, want string
	}{
		{"/api/v1/whoami?token=" + apitest.GoodToken, "", "token in the query string is not accepted on this route"},
		{"/api/v1/whoami", "", "Authorization: Bearer <token>"},
		{"/api/v1/whoami", "Basic dXNlcjpwdw==", `must read "Bearer <token>"`},
		{"/api/v1/whoami", "Bearer", `must read "Bearer <token>"`},
		{"/api/v1/whoami", "Bearer nope", "invalid or has expired"},
		{"/api/v1/events/stream?token=", "", "?token="},
	} {
		rec := call(h, http.MethodGet, tc.target, map[string]string{"Authorization": tc.authorization}, "")
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s %q: %d %q", tc.target, tc.authorization, rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
		if msg := errorOf(t, rec); !strings.Contains(msg, tc.want) {
			t.Errorf("%s %q: message %q lacks %q", tc.target, tc.authorization, msg, tc.want)
		}
	}
	rec := call(h, http.MethodGet, "/api/v1/whoami", map[string]string{"Authorization": "bearer " + apitest.GoodToken}, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"principal":"tester"`) {
		t.Errorf("lower-case scheme: %d %s", rec.Code, rec.Body)
	}
}

func TestQueryTokenIsHiddenFromHandlers(t *testing.T) {
	h := api.NewRouter(authRoutes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	rec := call(h, http.MethodGet, "/api/v1/events/stream?since=5&token="+apitest.GoodToken, nil, "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"query":"since=5"`) {
		t.Errorf("%d %s: the handler should see since=5 only", rec.Code, rec.Body)
	}
}

func TestAuthenticatorOutageIs503(t *testing.T) {
	h := api.NewRouter(authRoutes(), api.RouterDeps{Auth: down{}})
	rec := call(h, http.MethodGet, "/api/v1/whoami", map[string]string{"Authorization": "Bearer x"}, "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%d %s, want 503", rec.Code, rec.Body)
	}
}

func TestLoopbackAddresses(t *testing.T) {
	h := api.NewRouter(authRoutes(), api.RouterDeps{})
	for remote, want := range map[string]int{
		"127.0.0.1:1":          http.StatusOK,
		"127.9.9.9:1":          http.StatusOK,
		"[::1]:1":              http.StatusOK,
		"[::ffff:127.0.0.1]:1": http.StatusOK,
		"192.0.2.1:1":          http.StatusForbidden,
		"[fe80::1]:1":          http.StatusForbidden,
		"garbage":              http.StatusForbidden,
	} {
		if rec := call(h, http.MethodPost, "/api/v1/_mcp/sessions/s1/approve", nil, remote); rec.Code != want {
			t.Errorf("from %s: %d, want %d", remote, rec.Code, want)
		}
	}
}
