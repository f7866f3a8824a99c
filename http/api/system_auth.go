package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// SessionReply is the body of a successful login or bootstrap exchange.
type SessionReply struct {
	Token     string `json:"token"`
	ExpiresMs int64  `json:"expires_at_ms"`
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (p passwordRequest) Check() error { return Required("password", p.Password) }

func (s *System) login(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req passwordRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	ip := clientIP(r)
	// The lockout is checked before any hashing, so a locked-out guesser costs no CPU.
	ch, err := ask[messages.LoginChallenge](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.BeginLogin{IP: ip})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ok, err := auth.CheckPassword(ch.Hash, req.Password)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	token, hash := auth.Mint(auth.SessionPrefix)
	sess := messages.NewSession{ID: auth.NewID(), TokenHash: hash, ExpiresMs: time.Now().Add(auth.SessionTTL).UnixMilli()}
	issued, err := ask[messages.SessionIssued](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.FinishLogin{IP: ip, Hash: ch.Hash, OK: ok, Session: sess})
	if err != nil {
		if errors.Is(err, messages.ErrUnauthorized) {
			time.Sleep(time.Until(start.Add(s.LoginDelay)))
		}
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, SessionReply{Token: token, ExpiresMs: issued.ExpiresMs})
}

// logout revokes the presented session, if any; 204 either way.
func (s *System) logout(w http.ResponseWriter, r *http.Request) {
	if token, ok, _ := BearerToken(r); ok && strings.HasPrefix(token, auth.SessionPrefix) {
		if _, err := ask[messages.LoggedOut](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.Logout{TokenHash: auth.Hash(token)}); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

type ticketRequest struct {
	Ticket string `json:"ticket"`
}

func (t ticketRequest) Check() error { return Required("ticket", t.Ticket) }

func (s *System) bootstrapExchange(w http.ResponseWriter, r *http.Request) {
	var req ticketRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	token, hash := auth.Mint(auth.SessionPrefix)
	sess := messages.NewSession{ID: auth.NewID(), TokenHash: hash, ExpiresMs: time.Now().Add(auth.SessionTTL).UnixMilli()}
	issued, err := ask[messages.SessionIssued](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.ExchangeTicket{TicketHash: auth.Hash(req.Ticket), Session: sess})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, SessionReply{Token: token, ExpiresMs: issued.ExpiresMs})
}

func (s *System) adminSetPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := SetPassword(r.Context(), s.Actors, s.Auth, req.Password, "admin-token"); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// SetPassword checks and hashes password, then stores it through the auth actor (which revokes
// every bearer). The CLI uses it too, on a store it opened itself, when the daemon is stopped.
func SetPassword(ctx context.Context, a Actors, manager *host.Manager, password, via string) error {
	if err := auth.CheckPasswordRules("password", password); err != nil {
		return messages.Invalid("", "%s", err.Error())
	}
	phc, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = ask[messages.PasswordChanged](ctx, a, manager, messages.AuthID, messages.SetPassword{Hash: phc, Via: via})
	return err
}

type tokenRequest struct {
	Name string            `json:"name"`
	TTL  messages.Duration `json:"ttl"`
}

func (t tokenRequest) Check() error {
	if t.TTL < 0 {
		return messages.Invalid("ttl", "must not be negative")
	}
	return Required("name", strings.TrimSpace(t.Name))
}

// TokenListReply is the body of GET /auth/tokens.
type TokenListReply struct {
	Tokens []messages.TokenInfo `json:"tokens"`
}

// TokenReply is the body of POST /auth/tokens: the only time the token itself is shown.
type TokenReply struct {
	messages.TokenInfo
	Token string `json:"token"`
}

func (s *System) createToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	token, hash := auth.Mint(auth.TokenPrefix)
	var expires int64
	if req.TTL > 0 {
		expires = time.Now().Add(req.TTL.Std()).UnixMilli()
	}
	info, err := ask[messages.TokenInfo](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.CreateToken{ID: auth.NewID(), Name: req.Name, Hash: hash, ExpiresMs: expires})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, TokenReply{TokenInfo: info, Token: token})
}

func (s *System) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.TokenList](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.ListTokens{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list.Tokens == nil {
		list.Tokens = []messages.TokenInfo{}
	}
	WriteJSON(w, http.StatusOK, TokenListReply{Tokens: list.Tokens})
}

func (s *System) revokeToken(w http.ResponseWriter, r *http.Request) {
	if _, err := ask[messages.TokenRevoked](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.RevokeToken{ID: chi.URLParam(r, "id")}); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// clientIP is the request's peer address (proxies' forwarding headers are not trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
