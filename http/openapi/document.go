// Package openapi builds the OpenAPI 3.1 document of the daemon's routes from the route table
// itself: paths, methods and access rules from the routes, schemas from the Go types their Doc
// names. The router and the document cannot drift apart.
package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/meshhold/meshhold/http/api"
)

// Pattern is where the document is served, under /api/v1.
const Pattern = "/openapi.json"

// Mount returns routes plus GET /openapi.json, which serves the document of all of them.
func Mount(routes []api.Route, version string) ([]api.Route, error) {
	var doc []byte
	all := append(append([]api.Route(nil), routes...), api.Route{
		Method: http.MethodGet, Pattern: Pattern, Access: api.Open,
		Handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		},
		Doc: api.Doc{Summary: "This document: every route the daemon serves, with its schemas", Response: map[string]any{}},
	})
	var err error
	if doc, err = Document(all, version); err != nil {
		return nil, err
	}
	return all, nil
}

// Document renders the OpenAPI 3.1 document of routes, served under /api/v1.
func Document(routes []api.Route, version string) ([]byte, error) {
	s := newSchemas()
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		path, params := openAPIPath(rt.Pattern)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		op, err := operation(s, rt, params)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", rt, err)
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	s.defs["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{"type": "string", "description": "what went wrong, for a person"}},
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": map[string]any{
			"title":       "MeshHold REST API",
			"version":     version,
			"description": "Every surface of MeshHold is a client of this API. Errors are {\"error\": \"…\"}.",
		},
		"servers": []any{map[string]any{"url": api.Prefix}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": s.defs,
			"securitySchemes": map[string]any{
				"bearer":     map[string]any{"type": "http", "scheme": "bearer", "description": "a session (POST /auth/login) or API token"},
				"queryToken": map[string]any{"type": "apiKey", "in": "query", "name": "token", "description": "the bearer in ?token=, only where a browser cannot set headers"},
				"adminToken": map[string]any{"type": "apiKey", "in": "header", "name": api.AdminTokenHeader, "description": "the daemon's <metadata_dir>/cli-admin.token"},
			},
		},
	}
	return json.MarshalIndent(doc, "", " ")
}

var chiParam = regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)

// openAPIPath turns a chi pattern into an OpenAPI path and its parameter names.
func openAPIPath(pattern string) (string, []string) {
	var params []string
	path := chiParam.ReplaceAllStringFunc(pattern, func(m string) string {
		name := chiParam.FindStringSubmatch(m)[1]
		params = append(params, name)
		return "{" + name + "}"
	})
	if strings.HasSuffix(path, "/*") {
		path = strings.TrimSuffix(path, "*") + "{path}"
		params = append(params, "path")
	}
	return path, params
}

func operation(s *schemas, rt api.Route, pathParams []string) (map[string]any, error) {
	d := rt.Doc
	if d.Summary == "" {
		return nil, fmt.Errorf("no Doc.Summary: describe the route")
	}
	op := map[string]any{"summary": d.Summary, "operationId": operationID(rt), "security": security(rt.Access)}
	var params []any
	for _, p := range pathParams {
		params = append(params, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range d.Query {
		typ := q.Type
		if typ == "" {
			typ = "string"
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required,
			"description": q.Description, "schema": map[string]any{"type": typ}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if d.Request != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": s.of(reflect.TypeOf(d.Request))}}}
	}
	op["responses"] = responses(s, d)
	return op, nil
}

func responses(s *schemas, d api.Doc) map[string]any {
	status := d.Status
	switch {
	case status == 0 && (d.Response != nil || d.Produces != ""):
		status = http.StatusOK
	case status == 0:
		status = http.StatusNoContent
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case d.Produces != "":
		ok["content"] = map[string]any{d.Produces: map[string]any{"schema": map[string]any{"type": "string"}}}
	case d.Response != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": s.of(reflect.TypeOf(d.Response))}}
	}
	errBody := map[string]any{"description": "an error", "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	return map[string]any{fmt.Sprint(status): ok, "default": errBody}
}

func security(a api.Access) []any {
	switch a {
	case api.Bearer:
		return []any{map[string]any{"bearer": []any{}}}
	case api.BearerOrQueryToken:
		return []any{map[string]any{"bearer": []any{}}, map[string]any{"queryToken": []any{}}}
	case api.AdminToken:
		return []any{map[string]any{"adminToken": []any{}}}
	}
	return []any{} // open, hook-token (the secret is in the path), loopback
}

// operationID is a stable name: method and path words, e.g. post_auth_tokens.
func operationID(rt api.Route) string {
	words := []string{strings.ToLower(rt.Method)}
	for _, part := range strings.Split(rt.Pattern, "/") {
		if part == "*" {
			part = "path"
		}
		part = strings.Trim(part, "{}")
		if part != "" {
			words = append(words, strings.NewReplacer("-", "_", ".", "_").Replace(part))
		}
	}
	return strings.Join(words, "_")
}

// Paths lists "METHOD /path" of every operation in doc, sorted (for tests).
func Paths(doc []byte) ([]string, error) {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	var out []string
	for p, ops := range d.Paths {
		for m := range ops {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out, nil
}
