package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// AdminTokenHeader carries the CLI's process-lifetime admin token.
const AdminTokenHeader = "X-MeshHold-Admin-Token"

// Authenticator resolves a bearer token to the principal it was issued to.
type Authenticator interface {
	// Authenticate returns an error matching messages.ErrUnauthorized for an unknown or expired token.
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// Principal is who a request acts for (messages.Principal, so actors can name it too).
type Principal = messages.Principal

// Messages of the access checks.
const (
	msgNoAuthenticator = "no credentials can be issued yet: the daemon's login service is not running, so no bearer token is valid"
	msgNoBearer        = `this route needs "Authorization: Bearer <token>"; get a token from POST /api/v1/auth/login`
	msgBadHeader       = `the Authorization header must read "Bearer <token>"`
	msgBadToken        = "the bearer token is invalid or has expired; log in again"
	msgQueryRefused    = "token in the query string is not accepted on this route; send it as \"Authorization: Bearer <token>\""
	msgNoCredentials   = `this route needs "Authorization: Bearer <token>" or a ?token= query parameter`
	msgNoAdminToken    = "this route needs the " + AdminTokenHeader + " header with the token from <metadata_dir>/cli-admin.token"
	msgBadAdminToken   = "the " + AdminTokenHeader + " header does not match this daemon's admin token"
	msgNotLoopback     = "this route only answers requests from the local machine"
)

// BearerToken returns the token of an "Authorization: Bearer" header; ok is false when there is
// no header, and err is set when the header is there but not a bearer.
func BearerToken(r *http.Request) (token string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, nil
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false, because(messages.ErrUnauthorized, msgBadHeader)
	}
	return token, true, nil
}

// guard wraps next with the access check of rule.
func guard(rule Access, deps RouterDeps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch rule {
		case Bearer, BearerOrQueryToken:
			r, err = bearer(rule, deps.Auth, r)
		case AdminToken:
			err = admin(deps.AdminToken, r)
		case Loopback:
			if !fromLoopback(r) {
				err = because(messages.ErrForbidden, msgNotLoopback)
			}
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer authenticates the header (or, where rule allows, ?token=) and stores the principal.
// A query token is removed from the URL the handler sees so it does not reach logs.
func bearer(rule Access, auth Authenticator, r *http.Request) (*http.Request, error) {
	token, ok, err := BearerToken(r)
	if err != nil {
		return r, err
	}
	if r.URL.RawQuery == "" { // most requests: nothing to parse
		return authenticate(rule, auth, r, token, ok)
	}
	query := r.URL.Query()
	if query.Has("token") {
		if rule == Bearer {
			return r, because(messages.ErrUnauthorized, msgQueryRefused)
		}
		if !ok {
			token, ok = query.Get("token"), query.Get("token") != ""
		}
		query.Del("token")
		u := *r.URL
		u.RawQuery = query.Encode()
		r = r.Clone(r.Context())
		r.URL = &u
	}
	return authenticate(rule, auth, r, token, ok)
}

// authenticate checks the bearer found in the header or the query and stores the principal.
func authenticate(rule Access, auth Authenticator, r *http.Request, token string, ok bool) (*http.Request, error) {
	switch {
	case !ok && rule == Bearer:
		return r, because(messages.ErrUnauthorized, msgNoBearer)
	case !ok:
		return r, because(messages.ErrUnauthorized, msgNoCredentials)
	case auth == nil:
		return r, because(messages.ErrUnauthorized, msgNoAuthenticator)
	}
	p, err := auth.Authenticate(r.Context(), token)
	if err == messages.ErrUnauthorized { // the bare sentinel says too little; wrapped errors keep their words
		err = because(messages.ErrUnauthorized, msgBadToken)
	}
	if err != nil {
		return r, err
	}
	WithPrincipal(r.Context(), p) // fills the request state in place
	return r, nil
}

// admin checks the admin-token header with check, which compares in constant time.
func admin(check func(string) bool, r *http.Request) error {
	presented := r.Header.Get(AdminTokenHeader)
	switch {
	case presented == "":
		return because(messages.ErrUnauthorized, msgNoAdminToken)
	case check == nil || !check(presented):
		return because(messages.ErrUnauthorized, msgBadAdminToken)
	}
	return nil
}

// fromLoopback reports whether the request's peer is a loopback address.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
