package natsbus

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/meshhold/meshhold/bus"
)

// Usernames the server reports for the two kinds of client.
const (
	internalUser = "meshhold"
	externalUser = "external"
)

// authenticator admits the daemon's own connection with full rights and external clients,
// when a listener is configured for them, with everything but publishing events.
type authenticator struct {
	internal  []byte // random per start, known only to this process
	external  []byte // cfg.Token; empty with allowAnon means no credentials needed
	listen    bool   // external clients are allowed at all
	allowAnon bool   // loopback listener without a token
}

var _ server.Authentication = (*authenticator)(nil)

// externalPerms lets external clients subscribe to anything and publish anything but events;
// a fresh value each time, since the server keeps what it is given.
func externalPerms() *server.Permissions {
	return &server.Permissions{Publish: &server.SubjectPermission{Deny: []string{bus.AllEvents}}}
}

// newAuthenticator builds the authenticator for cfg with a fresh internal token.
func newAuthenticator(cfg Config) (*authenticator, error) {
	tok, err := randomToken()
	if err != nil {
		return nil, err
	}
	a := &authenticator{internal: []byte(tok), listen: cfg.Listen != ""}
	if cfg.Listen != "" {
		a.external = []byte(cfg.Token.Reveal())
		a.allowAnon = !cfg.Token.IsSet() // Validate allows this only on loopback
	}
	return a, nil
}

// Check implements server.Authentication.
func (a *authenticator) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	tok := []byte(c.GetOpts().Token)
	switch {
	case subtle.ConstantTimeCompare(tok, a.internal) == 1:
		c.RegisterUser(&server.User{Username: internalUser})
		return true
	case !a.listen:
		return false
	case a.allowAnon || (len(a.external) > 0 && subtle.ConstantTimeCompare(tok, a.external) == 1):
		c.RegisterUser(&server.User{Username: externalUser, Permissions: externalPerms()})
		return true
	}
	return false
}

// internalToken returns the token of the daemon's own connection.
func (a *authenticator) internalToken() string { return string(a.internal) }

// randomToken returns 32 random bytes from crypto/rand, hex encoded.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("natsbus: internal token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
