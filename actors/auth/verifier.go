package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Verifier authenticates bearers by reading the auth actor's committed records: a snapshot
// read per request, no actor hop. A bearer is accepted only once the commit that created it is
// durable, and refused as soon as the commit that revoked it is.
type Verifier struct {
	Store persist.Store
	Clock host.Clock
	// Used, when set, is told (fire and forget) that an API token authenticated a request.
	Used  func(messages.TokenUsed)
	keys  keys
	cache verified
}

// NewVerifier reads the records of the node's auth entity from store.
func NewVerifier(store persist.Store, clock host.Clock, root *actor.RootContext, manager *host.Manager) *Verifier {
	v := &Verifier{Store: store, Clock: clock, keys: keys{messages.AuthKind + "/" + messages.AuthID + "/"}}
	if root != nil && manager != nil {
		v.Used = func(m messages.TokenUsed) { root.Send(manager.PID, host.To{ID: messages.AuthID, Msg: m}) }
	}
	return v
}

// Authenticate resolves a bearer to its principal, or messages.ErrUnauthorized (api.Authenticator).
func (v *Verifier) Authenticate(_ context.Context, token string) (messages.Principal, error) {
	now := v.Clock.Now().UnixMilli()
	h := Hash(token)
	version, versioned := v.Store.(persist.Versioned)
	var gen uint64
	if versioned {
		gen = version.Version()
		if p, exp, ok := v.cache.get(h, gen); ok {
			if exp > 0 && exp <= now {
				return messages.Principal{}, messages.ErrUnauthorized
			}
			v.used(p, h, now)
			return p, nil
		}
	}
	var p messages.Principal
	var found, expired bool
	var expires int64
	err := persist.ReadWith(v.Store, func(view persist.View) error {
		if strings.HasPrefix(token, TokenPrefix) {
			var t storev1.ApiToken
			if found = get(view, v.keys.token(h), &t); found {
				expires = t.GetExpiresMs()
				expired = expires > 0 && expires <= now
				p = messages.Principal{Kind: "token", ID: t.GetId(), Name: t.GetName()}
			}
			return nil
		}
		var s storev1.Session
		if found = get(view, v.keys.session(h), &s); found {
			expires = s.GetExpiresMs()
			expired = expires <= now
			p = messages.Principal{Kind: "session", ID: s.GetId(), Name: s.GetVia()}
		}
		return nil
	})
	switch {
	case err != nil:
		return messages.Principal{}, fmt.Errorf("read sessions: %w", err)
	case !found, expired:
		return messages.Principal{}, messages.ErrUnauthorized
	}
	if versioned {
		v.cache.put(h, p, expires, gen)
	}
	v.used(p, h, now)
	return p, nil
}

func (v *Verifier) used(p messages.Principal, hash string, now int64) {
	if p.Kind == "token" && v.Used != nil {
		v.Used(messages.TokenUsed{Hash: hash, AtMs: now})
	}
}

// SessionTTL is how long a login's bearer lasts.
const SessionTTL = 24 * time.Hour

// PasswordSet reports whether a Web UI password has been set.
func (v *Verifier) PasswordSet() bool {
	set := false
	_ = persist.ReadWith(v.Store, func(view persist.View) error {
		_, set = view.Get(persist.Auth, v.keys.password())
		return nil
	})
	return set
}
