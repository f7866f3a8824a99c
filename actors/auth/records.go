package auth

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// keys lays out the entity's records in persist.Auth; hashes are hex SHA-256 of the secret.
type keys struct{ prefix string }

func (k keys) password() string        { return k.prefix + "password" }
func (k keys) sessions() string        { return k.prefix + "session/" }
func (k keys) session(h string) string { return k.sessions() + h }
func (k keys) tokens() string          { return k.prefix + "token/" }
func (k keys) token(h string) string   { return k.tokens() + h }
func (k keys) tokenIDs() string        { return k.prefix + "tokenid/" }
func (k keys) tokenID(id string) string {
	return k.tokenIDs() + id
}
func (k keys) tickets() string        { return k.prefix + "ticket/" }
func (k keys) ticket(h string) string { return k.tickets() + h }

func put(key string, val []byte) persist.Write {
	return persist.Write{Bucket: persist.Auth, Key: key, Value: val}
}

func del(key string) persist.Write {
	return persist.Write{Bucket: persist.Auth, Key: key, Delete: true}
}

func marshal(m proto.Message) []byte { return storev1.Marshal(m) }

func unmarshal(b []byte, m proto.Message) bool { return proto.Unmarshal(b, m) == nil }

// get reads key into m; false when it is missing or unreadable.
func get(v persist.View, key string, m proto.Message) bool {
	b, ok := v.Get(persist.Auth, key)
	return ok && unmarshal(b, m)
}

// collect deletes expired sessions, tickets and API tokens, a bounded number per run.
func (c *core) collect(ms int64, v persist.View) host.Output {
	var writes []persist.Write
	budget := 1000
	expired := func(prefix string, exp func([]byte) int64) {
		v.Scan(persist.Auth, prefix, "", func(k string, val []byte) bool {
			if e := exp(val); e > 0 && e <= ms {
				writes = append(writes, del(k))
				budget--
			}
			return budget > 0
		})
	}
	expired(c.keys.sessions(), func(b []byte) int64 { var s storev1.Session; unmarshal(b, &s); return s.GetExpiresMs() })
	expired(c.keys.tickets(), func(b []byte) int64 { var t storev1.Ticket; unmarshal(b, &t); return t.GetExpiresMs() })
	c.scanTokens(v, func(hash string, t *storev1.ApiToken) {
		if t.GetExpiresMs() > 0 && t.GetExpiresMs() <= ms && budget > 0 {
			writes = append(writes, del(c.keys.token(hash)), del(c.keys.tokenID(t.GetId())))
			budget--
		}
	})
	return host.Output{Writes: writes}
}

func sortTokens(ts []messages.TokenInfo) {
	slices.SortFunc(ts, func(a, b messages.TokenInfo) int {
		return cmp.Or(cmp.Compare(a.CreatedMs, b.CreatedMs), cmp.Compare(a.ID, b.ID))
	})
}
