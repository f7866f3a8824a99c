package api

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/messages"
)

// withLogger puts log in every request context, for WriteError.
func withLogger(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqStateKey{}, &reqState{log: log})))
		})
	}
}

// recoverer turns a handler panic into a logged stack and a 500 `{"error":"internal error"}`.
// http.ErrAbortHandler is re-panicked: it is net/http's way to abort a response on purpose.
func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				path := r.URL.Path
				if strings.HasPrefix(path, Prefix+"/hooks/") { // the path is the inbound webhook's secret
					path = Prefix + "/hooks/" + messages.Redacted
				}
				log.Error("panic serving request", "method", r.Method, "path", path,
					"panic", v, "stack", string(debug.Stack()))
				if r.Header.Get("Connection") != "Upgrade" { // a hijacked connection cannot be answered
					WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// headAsGet routes a HEAD request to the GET route of its path when there is no HEAD route;
// net/http discards the body.
func headAsGet(mux *chi.Mux) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				path := routePath(r)
				if !mux.Match(chi.NewRouteContext(), http.MethodHead, path) && mux.Match(chi.NewRouteContext(), http.MethodGet, path) {
					chi.RouteContext(r.Context()).RouteMethod = http.MethodGet
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bodyKind refuses, with 415, a body whose media type the route does not take. Requests
// without a body pass whatever their Content-Type.
func bodyKind(kind Body, next http.Handler) http.Handler {
	if kind == Raw {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasBody(r) {
			if err := checkMediaType(kind, r.Header.Get("Content-Type")); err != nil {
				WriteError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hasBody reports whether the request announces a body (a length, or chunked encoding).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || len(r.TransferEncoding) > 0 ||
		(r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// checkMediaType accepts application/json (UTF-8) for JSON routes and multipart/form-data for
// Multipart routes.
func checkMediaType(kind Body, header string) error {
	want := "application/json"
	if kind == Multipart {
		want = "multipart/form-data"
	}
	mt, params, err := mime.ParseMediaType(header)
	switch {
	case header == "":
		return because(errContentType, "a request body needs \"Content-Type: %s\"", want)
	case err != nil || mt != want:
		return because(errContentType, "Content-Type %q is not accepted here; send %s", header, want)
	case kind == JSON && params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return because(errContentType, "charset %q is not accepted; JSON bodies are UTF-8", params["charset"])
	}
	return nil
}

// routePath is the path chi routes on: the escaped form when the URL has one.
func routePath(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		return rctx.RoutePath
	}
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}
