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
		{Method: http.MethodGet, Pattern: "/version", Access: Open, Handler: s.version,
			Doc: Doc{Summary: "The daemon's version", Response: VersionReply{}}},
		{Method: http.MethodPost, Pattern: "/auth/login", Access: Open, Handler: s.login,
			Doc: Doc{Summary: "Trade the password for a 24 h session bearer (401 wrong password, 429 locked out, 503 no password yet)", Request: passwordRequest{}, Response: SessionReply{}}},
		{Method: http.MethodPost, Pattern: "/auth/logout", Access: Open, Handler: s.logout,
			Doc: Doc{Summary: "Revoke the presented session; 204 either way"}},
		{Method: http.MethodPost, Pattern: "/auth/bootstrap-exchange", Access: Open, Handler: s.bootstrapExchange,
			Doc: Doc{Summary: "Trade a single-use bootstrap ticket (60 s) for a session bearer", Request: ticketRequest{}, Response: SessionReply{}}},
		{Method: http.MethodPost, Pattern: "/auth/admin/set-password", Access: AdminToken, Handler: s.adminSetPassword,
			Doc: Doc{Summary: "Set the password with the daemon's admin token; revokes every bearer", Request: passwordRequest{}}},
		{Method: http.MethodGet, Pattern: "/auth/tokens", Access: Bearer, Handler: s.listTokens,
			Doc: Doc{Summary: "List the API tokens, never their values", Response: TokenListReply{}}},
		{Method: http.MethodPost, Pattern: "/auth/tokens", Access: Bearer, Handler: s.createToken,
			Doc: Doc{Summary: "Create a named API token; the token is shown only in this answer", Request: tokenRequest{}, Response: TokenReply{}, Status: http.StatusCreated}},
		{Method: http.MethodDelete, Pattern: "/auth/tokens/{id}", Access: Bearer, Handler: s.revokeToken,
			Doc: Doc{Summary: "Revoke an API token"}},
		{Method: http.MethodGet, Pattern: "/whoami", Access: Bearer, Handler: s.whoami,
			Doc: Doc{Summary: "This node's peer id and name, and who is asking", Response: WhoamiReply{}}},
		{Method: http.MethodGet, Pattern: "/system/status", Access: Open, Handler: s.status,
			Doc: Doc{Summary: "Health snapshot: node, mode, setup, TLS fingerprint, at-rest, network", Response: StatusReply{}}},
		{Method: http.MethodPost, Pattern: "/system/setup", Access: Bearer, Handler: s.setup,
			Doc: Doc{Summary: "Write the swarm key and bootstrap peers into config.yaml", Request: SetupRequest{}, Response: SetupReply{}}},
		{Method: http.MethodGet, Pattern: "/system/share", Access: Bearer, Handler: s.share,
			Doc: Doc{Summary: "What a new device needs to join this network (503 in limited mode)", Response: ShareReply{}}},
		{Method: http.MethodGet, Pattern: "/system/share-node", Access: Bearer, Handler: s.shareNode,
			Doc: Doc{Summary: "This node's identity and reachable addresses, without the swarm key", Response: NodeShareReply{}}},
		{Method: http.MethodGet, Pattern: "/events/stream", Access: BearerOrQueryToken, Handler: s.events,
			Doc: Doc{Summary: "Server-Sent Events: every committed event; resume with Last-Event-ID", Produces: "text/event-stream",
				Query: []Param{{Name: "types", Description: "comma-separated event types to keep"}, {Name: "last_event_id", Description: "resume after this log_seq (the Last-Event-ID header wins)", Type: "integer"}}}},
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
