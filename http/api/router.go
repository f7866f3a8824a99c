package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
)

// RouterDeps are what the access checks and error logging need.
type RouterDeps struct {
	Logger *slog.Logger
	// Auth checks bearer tokens; while it is nil every bearer route answers 401.
	Auth Authenticator
	// AdminToken reports whether the presented admin token is this daemon's, in constant time.
	AdminToken func(presented string) bool
	// Observe, when set, wraps every request first (metrics: it sees panics' 500s and chi's
	// route pattern).
	Observe func(http.Handler) http.Handler
}

// NewRouter mounts routes under /api/v1, each behind its access check and body rule, and answers
// everything else by the conventions: 404 "no such route", 405 with Allow, OPTIONS with Allow,
// HEAD as GET. It panics on a bad or duplicate route, as chi does on a bad pattern.
func NewRouter(routes []Route, deps RouterDeps) http.Handler {
	if err := checkRoutes(routes); err != nil {
		panic(err)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := chi.NewRouter()
	if deps.Observe != nil {
		mux.Use(deps.Observe)
	}
	mux.Use(recoverer(log), withLogger(log), headAsGet(mux))
	for _, rt := range routes {
		mux.Method(rt.Method, Prefix+rt.Pattern, guard(rt.Access, deps, bodyKind(rt.Body, rt.Handler)))
	}
	unrouted := unroutedHandler(mux)
	mux.NotFound(unrouted)
	mux.MethodNotAllowed(unrouted)
	return mux
}

// unroutedHandler answers a request no route takes: OPTIONS on a known path with 204 and Allow,
// another method on a known path with 405 and Allow, anything else with 404 "no such route".
// chi gives a custom 405 handler no method list, and its own list may name methods of other
// branches, so the list is computed here by matching the path once per method.
func unroutedHandler(mux *chi.Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allowed := AllowedMethods(mux, routePath(r))
		switch {
		case len(allowed) == 0:
			WriteError(w, r, errNoRoute)
		case r.Method == http.MethodOptions:
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			WriteError(w, r, because(errMethod, "method %s is not allowed here; this path takes %s",
				r.Method, strings.Join(allowed, ", ")))
		}
	}
}

// AllowedMethods lists, sorted, the methods mux serves at path: the declared ones, HEAD where GET
// is served, and OPTIONS when there is any. It is empty when no route matches the path.
func AllowedMethods(mux chi.Routes, path string) []string {
	var allowed []string
	for _, m := range methods {
		if mux.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		return nil
	}
	if slices.Contains(allowed, http.MethodGet) {
		allowed = append(allowed, http.MethodHead)
	}
	allowed = append(allowed, http.MethodOptions)
	slices.Sort(allowed)
	return allowed
}

// Walk calls fn for every route the handler from NewRouter serves, with the pattern under /api/v1.
func Walk(h http.Handler, fn func(method, pattern string) error) error {
	routes, ok := h.(chi.Routes)
	if !ok {
		return fmt.Errorf("api: %T is not a router made by NewRouter", h)
	}
	return chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		return fn(method, strings.TrimPrefix(route, Prefix))
	})
}
