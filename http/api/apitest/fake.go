package apitest

import (
	"context"
	"net/http"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// The credentials CheckRoutes accepts; any other token is refused.
const (
	GoodToken  = "apitest-good-token"
	AdminToken = "apitest-admin-token"
)

// Authenticator accepts GoodToken only, as Principal{Kind: "test", ID: "tester"}.
type Authenticator struct{}

// Authenticate implements api.Authenticator.
func (Authenticator) Authenticate(_ context.Context, token string) (api.Principal, error) {
	if token != GoodToken {
		return api.Principal{}, messages.ErrUnauthorized
	}
	return api.Principal{Kind: "test", ID: "tester", Name: "Tester"}, nil
}

// stub answers 204 and echoes the principal's ID, so checks can see who was let in.
func stub(w http.ResponseWriter, r *http.Request) {
	if p, ok := api.PrincipalFrom(r.Context()); ok {
		w.Header().Set("X-Apitest-Principal", p.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}
