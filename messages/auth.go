package messages

// AuthKind and AuthID name the node's one auth actor: entity "auth/local".
const (
	AuthKind = "auth"
	AuthID   = "local"
)

// SetPassword replaces the Web UI password (Hash is an argon2id PHC string) and revokes every
// bearer: sessions and API tokens. Via says who did it ("admin-token", "cli").
type SetPassword struct {
	Hash string
	Via  string
}

// PasswordChanged answers SetPassword.
type PasswordChanged struct{ Revoked int }

// BeginLogin asks whether IP may try a password now; the answer carries the hash to verify
// against (outside the actor: argon2id is slow). It fails with ErrSetupRequired before any
// password is set and with a RetryAfterError(ErrTooManyRequests) while IP is locked out.
type BeginLogin struct{ IP string }

// LoginChallenge answers BeginLogin.
type LoginChallenge struct{ Hash string }

// NewSession is a bearer minted by the caller (random ids come inside commands); only the
// token's hash reaches the actor.
type NewSession struct {
	ID        string
	TokenHash string
	ExpiresMs int64
}

// FinishLogin reports the verification of Hash for IP; when OK the session is stored. A failure
// counts towards IP's lockout.
type FinishLogin struct {
	IP      string
	Hash    string // the hash that was verified; a password changed meanwhile fails the login
	OK      bool
	Session NewSession
}

// SessionIssued answers a successful FinishLogin or ExchangeTicket.
type SessionIssued struct {
	ID        string
	ExpiresMs int64
}

// Logout revokes the session whose token hashes to TokenHash, if any.
type Logout struct{ TokenHash string }

// LoggedOut answers Logout.
type LoggedOut struct{ Found bool }

// MintTicket stores a single-use bootstrap ticket (its hash) until ExpiresMs.
type MintTicket struct {
	Hash      string
	ExpiresMs int64
}

// TicketMinted answers MintTicket.
type TicketMinted struct{ ExpiresMs int64 }

// ExchangeTicket consumes a bootstrap ticket for a session; an unknown, used or expired ticket
// is ErrUnauthorized.
type ExchangeTicket struct {
	TicketHash string
	Session    NewSession
}

// CreateToken stores a named API token (its hash); ExpiresMs 0 never expires.
type CreateToken struct {
	ID, Name, Hash string
	ExpiresMs      int64
}

// TokenInfo describes an API token, never its value.
type TokenInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedMs  int64  `json:"created_at_ms"`
	ExpiresMs  int64  `json:"expires_at_ms"`
	LastUsedMs int64  `json:"last_used_at_ms"`
}

// ListTokens asks for every API token.
type ListTokens struct{}

// TokenList answers ListTokens, oldest first.
type TokenList struct{ Tokens []TokenInfo }

// RevokeToken deletes the API token ID (ErrNotFound when there is none).
type RevokeToken struct{ ID string }

// TokenRevoked answers RevokeToken.
type TokenRevoked struct{ ID string }

// TokenUsed tells the auth actor an API token authenticated a request at AtMs; it records
// last use at most once a minute. Fire and forget.
type TokenUsed struct {
	Hash string
	AtMs int64
}

// CheckAttempt asks whether IP may try a secret now (vault unlock shares the login lockout
// budget); answers AttemptAllowed, or a RetryAfterError(ErrTooManyRequests).
type CheckAttempt struct{ IP string }

// AttemptAllowed answers CheckAttempt.
type AttemptAllowed struct{}

// AttemptFailed counts a wrong secret from IP towards its lockout (What names it in the event,
// e.g. "vault_unlock"); answers AttemptAllowed, or the lockout error once IP is locked out.
type AttemptFailed struct {
	IP   string
	What string
}
