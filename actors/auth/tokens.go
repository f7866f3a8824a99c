package auth

import (
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// maxTokens bounds the API tokens a node keeps.
const maxTokens = 1000

func (c *core) createToken(ms int64, m messages.CreateToken, v persist.View) host.Output {
	name := strings.TrimSpace(m.Name)
	switch {
	case name == "":
		return host.Output{Reply: messages.Invalid("name", "is required")}
	case len(name) > 64:
		return host.Output{Reply: messages.Invalid("name", "at most 64 characters")}
	}
	dup, n := false, 0
	c.scanTokens(v, func(_ string, t *storev1.ApiToken) {
		n++
		dup = dup || t.GetName() == name
	})
	switch {
	case dup:
		return host.Output{Reply: fmt.Errorf("%w: a token named %q exists; revoke it or pick another name", messages.ErrConflict, name)}
	case n >= maxTokens:
		return host.Output{Reply: fmt.Errorf("%w: %d API tokens exist; revoke some first", messages.ErrConflict, n)}
	}
	rec := &storev1.ApiToken{Id: m.ID, Name: name, CreatedMs: ms, ExpiresMs: m.ExpiresMs}
	return host.Output{
		Writes: []persist.Write{put(c.keys.token(m.Hash), marshal(rec)), put(c.keys.tokenID(m.ID), []byte(m.Hash))},
		Events: []host.Event{{Type: "token_created", Data: map[string]any{"token_id": m.ID, "name": name, "expires_at_ms": m.ExpiresMs}}},
		Reply:  info(rec),
	}
}

func (c *core) listTokens(v persist.View) []messages.TokenInfo {
	var out []messages.TokenInfo
	c.scanTokens(v, func(_ string, t *storev1.ApiToken) { out = append(out, info(t)) })
	sortTokens(out)
	return out
}

func (c *core) revokeToken(m messages.RevokeToken, v persist.View) host.Output {
	hash, ok := v.Get(persist.Auth, c.keys.tokenID(m.ID))
	var t storev1.ApiToken
	if !ok || !get(v, c.keys.token(string(hash)), &t) {
		return host.Output{Reply: messages.NotFound("token")}
	}
	return host.Output{
		Writes: []persist.Write{del(c.keys.token(string(hash))), del(c.keys.tokenID(m.ID))},
		Events: []host.Event{{Type: "token_revoked", Data: map[string]any{"token_id": m.ID, "name": t.GetName()}}},
		Reply:  messages.TokenRevoked{ID: m.ID},
	}
}

// tokenUsed records a token's last use, at most once a minute, without an event.
func (c *core) tokenUsed(m messages.TokenUsed, v persist.View) host.Output {
	var t storev1.ApiToken
	if !get(v, c.keys.token(m.Hash), &t) || m.AtMs-t.GetLastUsedMs() < 60_000 {
		return host.Output{}
	}
	t.LastUsedMs = m.AtMs
	return host.Output{Writes: []persist.Write{put(c.keys.token(m.Hash), marshal(&t))}}
}

func (c *core) scanTokens(v persist.View, fn func(hash string, t *storev1.ApiToken)) {
	v.Scan(persist.Auth, c.keys.tokens(), "", func(k string, val []byte) bool {
		var t storev1.ApiToken
		if unmarshal(val, &t) {
			fn(strings.TrimPrefix(k, c.keys.tokens()), &t)
		}
		return true
	})
}

func info(t *storev1.ApiToken) messages.TokenInfo {
	return messages.TokenInfo{ID: t.GetId(), Name: t.GetName(), CreatedMs: t.GetCreatedMs(), ExpiresMs: t.GetExpiresMs(), LastUsedMs: t.GetLastUsedMs()}
}
