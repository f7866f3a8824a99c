package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/http/api"
)

// CheckRoutes requires every route of routes to be documented in tables with the same access
// rule (see Mismatches), and then checks by real requests that each rule is enforced.
// Handlers are replaced by a stub, so any route list, up to the daemon's full one, can be fed in.
func CheckRoutes(t *testing.T, routes []api.Route, tables ...string) {
	t.Helper()
	table, err := LoadTable(tables...)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range Mismatches(routes, table) {
		t.Error(err)
	}
	h := newRouter(routes)
	byKey := make(map[string]api.Route, len(routes))
	for _, rt := range routes {
		byKey[Key(rt.Method, rt.Pattern)] = rt
	}
	_ = api.Walk(h, func(method, pattern string) error {
		if rt, ok := byKey[Key(method, pattern)]; ok {
			t.Run(method+" "+pattern, func(t *testing.T) { checkAccess(t, h, rt) })
		}
		return nil
	})
}

// Mismatches walks the router NewRouter builds from routes and reports every served route that
// table does not document, or documents with another access rule.
func Mismatches(routes []api.Route, table Table) []error {
	declared := make(map[string]api.Route, len(routes))
	for _, rt := range routes {
		declared[Key(rt.Method, rt.Pattern)] = rt
	}
	var errs []error
	walked := 0
	err := api.Walk(newRouter(routes), func(method, pattern string) error {
		walked++
		key := Key(method, pattern)
		rt, ok := declared[key]
		row, documented := table[key]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s is served but not in the route list", key))
		case !documented:
			errs = append(errs, fmt.Errorf("%s %s is served but not documented; add a row to docs/api-extensions.tsv", method, DocPath(pattern)))
		case row.Access != rt.Access:
			errs = append(errs, fmt.Errorf("%s %s has access %q, but %s documents %q", method, DocPath(pattern), rt.Access, row.Source, row.Access))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if walked != len(routes) {
		errs = append(errs, fmt.Errorf("the router serves %d routes, the list declares %d", walked, len(routes)))
	}
	return errs
}

// newRouter builds the router of routes with stub handlers and the test credentials.
func newRouter(routes []api.Route) http.Handler {
	stubbed := make([]api.Route, len(routes))
	for i, rt := range routes {
		rt.Handler = stub
		stubbed[i] = rt
	}
	return api.NewRouter(stubbed, api.RouterDeps{
		Auth:       Authenticator{},
		AdminToken: func(p string) bool { return p == AdminToken },
	})
}

var anyParam = regexp.MustCompile(`\{[^}]*\}`)

// ConcretePath fills a chi pattern with sample values: {x} becomes 1, a final * becomes apitest/file.txt.
func ConcretePath(pattern string) string {
	p := anyParam.ReplaceAllString(pattern, "1")
	if strings.HasSuffix(p, "/*") {
		p = strings.TrimSuffix(p, "*") + "apitest/file.txt"
	}
	return api.Prefix + p
}

// checkAccess sends the requests that tell whether rt's rule is enforced.
func checkAccess(t *testing.T, h http.Handler, rt api.Route) {
	path := ConcretePath(rt.Pattern)
	if got := h.(chi.Routes).Find(chi.NewRouteContext(), rt.Method, path); got != api.Prefix+rt.Pattern {
		t.Fatalf("sample path %s reaches %q, not this route; the table has overlapping patterns", path, got)
	}
	type header = map[string]string
	bearer := header{"Authorization": "Bearer " + GoodToken}
	switch rt.Access {
	case api.Open, api.HookToken:
		expect(t, h, rt.Method, path, nil, http.StatusNoContent, "")
	case api.Bearer:
		expect(t, h, rt.Method, path, nil, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path, header{"Authorization": "Bearer wrong"}, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path, bearer, http.StatusNoContent, "tester")
		expect(t, h, rt.Method, path+"?token="+GoodToken, nil, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path+"?token="+GoodToken, bearer, http.StatusUnauthorized, "")
	case api.BearerOrQueryToken:
		expect(t, h, rt.Method, path, nil, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path+"?token=wrong", nil, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path+"?token="+GoodToken, nil, http.StatusNoContent, "tester")
		expect(t, h, rt.Method, path, bearer, http.StatusNoContent, "tester")
	case api.AdminToken:
		expect(t, h, rt.Method, path, nil, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path, header{api.AdminTokenHeader: "wrong"}, http.StatusUnauthorized, "")
		expect(t, h, rt.Method, path, header{api.AdminTokenHeader: AdminToken}, http.StatusNoContent, "")
	case api.Loopback:
		expect(t, h, rt.Method, path, nil, http.StatusForbidden, "")
		expect(t, h, rt.Method, path, header{"X-Apitest-Remote": "127.0.0.1:40000"}, http.StatusNoContent, "")
		expect(t, h, rt.Method, path, header{"X-Apitest-Remote": "[::1]:40000"}, http.StatusNoContent, "")
	default:
		t.Errorf("no check for access %q", rt.Access)
	}
}

// expect sends one request from 192.0.2.1 (or X-Apitest-Remote) and checks the status, the
// principal the handler saw, and the shape of an error answer.
func expect(t *testing.T, h http.Handler, method, target string, headers map[string]string, status int, principal string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		if k == "X-Apitest-Remote" {
			req.RemoteAddr = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	what := method + " " + target + " " + strings.Join(sortedKeys(headers), ",")
	if res.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %s)", what, res.StatusCode, status, rec.Body)
		return
	}
	if got := res.Header.Get("X-Apitest-Principal"); got != principal {
		t.Errorf("%s: handler saw principal %q, want %q", what, got, principal)
	}
	if status < 400 {
		return
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
		t.Errorf("%s: body %q is not {\"error\": …}", what, rec.Body)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("%s: 401 without WWW-Authenticate: Bearer", what)
	}
}

// sortedKeys names the headers a request carried, for messages.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
