package api

import (
	"context"
	"net/http"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// System serves the system theme: version, auth, whoami, status, setup, share, events.
type System struct {
	Version string
	Actors  Actors
	// Auth and Profile are the managers of the auth and profile kinds.
	Auth, Profile *host.Manager
	// LoginDelay is the least time a failed login takes to answer (slows guessing).
	LoginDelay time.Duration
	// Node answers status, setup and share: what only the daemon knows.
	Node NodeInfo
	// Events serves GET /events/stream (http/stream).
	Events http.HandlerFunc
}

// Actors asks actors on behalf of requests, each ask bounded by Limit and the request's context.
type Actors struct {
	Root  *actor.RootContext
	Limit time.Duration
}

// ask sends msg to the child id of manager and waits for a reply of type R.
func ask[R any](ctx context.Context, a Actors, manager *host.Manager, id string, msg any) (R, error) {
	if manager == nil {
		var zero R
		return zero, messages.ErrUnavailable
	}
	return host.AskChild[R](ctx, a.Root, manager, id, msg, a.Limit)
}

// VersionReply is the body of GET /version.
type VersionReply struct {
	Version string `json:"version"`
}

// Routes lists the system theme's routes.
func (s *System) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/version", Access: Open, Handler: s.version},
		{Method: http.MethodPost, Pattern: "/auth/login", Access: Open, Handler: s.login},
		{Method: http.MethodPost, Pattern: "/auth/logout", Access: Open, Handler: s.logout},
		{Method: http.MethodPost, Pattern: "/auth/bootstrap-exchange", Access: Open, Handler: s.bootstrapExchange},
		{Method: http.MethodPost, Pattern: "/auth/admin/set-password", Access: AdminToken, Handler: s.adminSetPassword},
		{Method: http.MethodGet, Pattern: "/auth/tokens", Access: Bearer, Handler: s.listTokens},
		{Method: http.MethodPost, Pattern: "/auth/tokens", Access: Bearer, Handler: s.createToken},
		{Method: http.MethodDelete, Pattern: "/auth/tokens/{id}", Access: Bearer, Handler: s.revokeToken},
		{Method: http.MethodGet, Pattern: "/whoami", Access: Bearer, Handler: s.whoami},
		{Method: http.MethodGet, Pattern: "/system/status", Access: Open, Handler: s.status},
		{Method: http.MethodPost, Pattern: "/system/setup", Access: Bearer, Handler: s.setup},
		{Method: http.MethodGet, Pattern: "/system/share", Access: Bearer, Handler: s.share},
		{Method: http.MethodGet, Pattern: "/system/share-node", Access: Bearer, Handler: s.shareNode},
		{Method: http.MethodGet, Pattern: "/events/stream", Access: BearerOrQueryToken, Handler: s.events},
	}
}

func (s *System) version(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, VersionReply{Version: s.Version})
}

func (s *System) events(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	s.Events(w, r)
}
