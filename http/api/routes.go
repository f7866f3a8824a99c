package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Access is a route's access rule; the words are those of docs/endpoints.tsv.
type Access string

// The access rules of docs/endpoints.tsv.
const (
	Open               Access = "open"                  // no credentials
	Bearer             Access = "bearer"                // Authorization: Bearer <token>; ?token= refused
	BearerOrQueryToken Access = "bearer-or-query-token" // the header, or ?token= for browser primitives
	AdminToken         Access = "admin-token"           // X-MeshHold-Admin-Token, checked by RouterDeps.AdminToken
	HookToken          Access = "hook-token"            // the secret is in the path; the handler checks it
	Loopback           Access = "loopback"              // only from a loopback address
)

// Accesses lists every access rule, in the order of the constants.
var Accesses = []Access{Open, Bearer, BearerOrQueryToken, AdminToken, HookToken, Loopback}

// Valid reports whether a is one of the known access rules.
func (a Access) Valid() bool {
	return slices.Contains(Accesses, a)
}

// Body is the kind of request body a route takes.
type Body int

// Body kinds. A JSON route refuses a body of any other media type with 415.
const (
	JSON      Body = iota // application/json, or no body at all
	Raw                   // any bytes: uploads and inbound hooks
	Multipart             // multipart/form-data
)

// Prefix is where NewRouter mounts every route.
const Prefix = "/api/v1"

// Route is one row of the route table.
type Route struct {
	Method  string // GET, POST, PUT, PATCH or DELETE
	Pattern string // chi pattern under /api/v1, e.g. /vaults/{vault_id}/upload/*
	Access  Access
	Body    Body
	Handler http.HandlerFunc
	// Doc describes the route in the OpenAPI document (GET /api/v1/openapi.json).
	Doc Doc
}

// Doc is what the OpenAPI document says about a route; its schemas come from the Go types of
// Request and Response by reflection, so the document follows the code.
type Doc struct {
	Summary string
	// Request is a value of the JSON request body's type (nil: no JSON body).
	Request any
	// Response is a value of the success response's JSON type (nil: no JSON body).
	Response any
	// Status is the success status; 0 means 200 with a Response, 204 without.
	Status int
	// Produces is the success media type when it is not JSON (text/event-stream, application/zip…).
	Produces string
	// Query lists the query parameters.
	Query []Param
}

// Param is one query parameter of a route.
type Param struct {
	Name        string
	Description string
	Type        string // "string", "integer" or "boolean"
	Required    bool
}

// String names the route as "METHOD /pattern".
func (rt Route) String() string { return rt.Method + " " + rt.Pattern }

// methods are the methods a Route may declare; HEAD and OPTIONS are answered by the router.
var methods = []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut}

// check reports what is wrong with a route declaration.
func (rt Route) check() error {
	switch {
	case !slices.Contains(methods, rt.Method):
		return fmt.Errorf("method %q is not one of %s", rt.Method, strings.Join(methods, ", "))
	case !strings.HasPrefix(rt.Pattern, "/") || strings.HasPrefix(rt.Pattern, Prefix+"/"):
		return fmt.Errorf("pattern %q must start with / and leave out %s", rt.Pattern, Prefix)
	case !rt.Access.Valid():
		return fmt.Errorf("access %q is not one of %v", rt.Access, Accesses)
	case rt.Body < JSON || rt.Body > Multipart:
		return fmt.Errorf("body kind %d is unknown", rt.Body)
	case rt.Handler == nil:
		return fmt.Errorf("no handler")
	}
	return nil
}

// checkRoutes rejects bad declarations and duplicates, naming the route.
func checkRoutes(routes []Route) error {
	seen := make(map[string]bool, len(routes))
	for _, rt := range routes {
		if err := rt.check(); err != nil {
			return fmt.Errorf("api: route %s: %w", rt, err)
		}
		if seen[rt.String()] {
			return fmt.Errorf("api: route %s is declared twice", rt)
		}
		seen[rt.String()] = true
	}
	return nil
}
