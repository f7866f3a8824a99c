package api

import (
	"context"
	"log/slog"
)

// reqState is what the router's middleware learns about a request: its logger and, once the
// access check passed, its principal. One context value, set once per request, and filled in
// place — cheaper than deriving a new request for each fact.
type reqState struct {
	log       *slog.Logger
	principal Principal
	known     bool // principal is set
}

type reqStateKey struct{}

func stateOf(ctx context.Context) *reqState {
	s, _ := ctx.Value(reqStateKey{}).(*reqState)
	return s
}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	if s := stateOf(ctx); s != nil {
		s.principal, s.known = p, true
		return ctx
	}
	return context.WithValue(ctx, reqStateKey{}, &reqState{principal: p, known: true})
}

// PrincipalFrom returns the principal the access check stored, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	if s := stateOf(ctx); s != nil && s.known {
		return s.principal, true
	}
	return Principal{}, false
}

// loggerFrom returns the logger NewRouter put in ctx, or slog.Default.
func loggerFrom(ctx context.Context) *slog.Logger {
	if s := stateOf(ctx); s != nil && s.log != nil {
		return s.log
	}
	return slog.Default()
}
