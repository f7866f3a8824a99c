package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/openapi"
)

// The document served at /openapi.json lists exactly the routes the router serves, validates as
// OpenAPI 3.1, and real answers of the running daemon validate against its schemas.
func TestOpenAPIMatchesRouterAndAnswers(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	tok := p.login("some password")
	resp, err := http.Get(p.api + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document does not validate: %v", err)
	}
	documented, _ := openapi.Paths(raw)
	var served []string
	_ = api.Walk(api.NewRouter((&daemon{}).routes(), api.RouterDeps{}), func(method, pattern string) error {
		path := chiParam(pattern)
		served = append(served, method+" "+path)
		return nil
	})
	if strings.Join(sorted(served), "\n") != strings.Join(documented, "\n") {
		t.Fatalf("router and document differ:\nrouter:   %v\ndocument: %v", sorted(served), documented)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	check := func(method, path string, body string, header ...string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
			header = append(header, "Content-Type", "application/json")
		}
		req, _ := http.NewRequest(method, p.api+path, rd)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		vreq, _ := http.NewRequest(method, "http://x"+api.Prefix+path, nil)
		route, params, err := router.FindRoute(vreq)
		if err != nil {
			t.Fatalf("%s %s: not in the document: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(got))}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s → %d %s: does not match the document: %v", method, path, res.StatusCode, got, err)
		}
	}
	check("GET", "/version", "")
	check("GET", "/system/status", "")
	check("GET", "/whoami", "", bearer(tok)...)
	check("GET", "/whoami", "") // 401: the error schema
	check("POST", "/auth/tokens", `{"name":"docs"}`, bearer(tok)...)
	check("GET", "/auth/tokens", "", bearer(tok)...)
	check("GET", "/system/share-node", "", bearer(tok)...)
	check("GET", "/system/share", "", bearer(tok)...) // 503 in limited mode
	check("POST", "/auth/login", `{"password":"some password"}`)
	check("GET", "/profile", "", bearer(tok)...)
	check("PUT", "/profile", `{"display_name":"alpha prime","metered":true}`, bearer(tok)...)
	check("POST", "/contacts", `{"node_id":"12D3KooWGzh4mH3pQqTjH5hJr8wZ8Kq4u5jmWbJ4hB9Q6Zc3mV7n","name":"bob"}`, bearer(tok)...)
	check("GET", "/contacts", "", bearer(tok)...)
	check("GET", "/settings", "", bearer(tok)...)
	check("PUT", "/settings", `{"ui_theme":"dark"}`, bearer(tok)...)
	check("POST", "/diagnostics/reports", "", bearer(tok)...)
	check("GET", "/diagnostics/reports", "", bearer(tok)...)
	check("GET", "/system/metrics", "", bearer(tok)...)
	p.stop()
}

// chiParam writes a chi pattern the way the document does.
func chiParam(pattern string) string {
	out := pattern
	if strings.HasSuffix(out, "/*") {
		out = strings.TrimSuffix(out, "*") + "{path}"
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
