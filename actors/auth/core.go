// Package auth is the node's auth actor (entity auth/local): the Web UI password, login
// sessions, API tokens, bootstrap tickets and the per-IP login lockout. Its core decides; the
// slow argon2id work and token minting happen outside it (password.go, secrets.go), and
// requests are authenticated by a read model over its records (verifier.go), without a hop.
package auth

import (
	"fmt"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Config is the login throttle: MaxAttempts failures from one IP within Window lock it out
// for Lockout.
type Config struct {
	MaxAttempts int
	Window      time.Duration
	Lockout     time.Duration
}

// gcEvery is how often expired sessions, tokens and tickets are deleted.
const gcEvery = time.Hour

// maxTracked bounds the IPs whose failures are remembered.
const maxTracked = 4096

type core struct {
	cfg    Config
	keys   keys
	failed map[string]*attempts
}

// attempts is one IP's recent failures (ms) and lockout.
type attempts struct {
	failures    []int64
	lockedUntil int64
}

// Load builds the core of entity from its records; its state besides records is the lockout
// table, which a restart forgets.
func Load(cfg Config) host.Load {
	return func(entity string, _ persist.View) (host.Core, error) {
		return &core{cfg: cfg, keys: keys{entity + "/"}, failed: map[string]*attempts{}}, nil
	}
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	ms := now.UnixMilli()
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{Timers: []host.Timer{{Key: "gc", At: now.Add(gcEvery)}}}
	case host.Wake:
		out := c.collect(ms, v)
		out.Timers = []host.Timer{{Key: "gc", At: now.Add(gcEvery)}}
		return out
	case messages.SetPassword:
		return c.setPassword(ms, m, v)
	case messages.BeginLogin:
		return c.beginLogin(ms, m, v)
	case messages.FinishLogin:
		return c.finishLogin(ms, m, v)
	case messages.CheckAttempt:
		if a := c.failed[m.IP]; a != nil && a.lockedUntil > ms {
			return host.Output{Reply: lockedOut(a.lockedUntil - ms)}
		}
		return host.Output{Reply: messages.AttemptAllowed{}}
	case messages.AttemptFailed:
		out := c.loginFailed(ms, m.IP)
		out.Events[0].Data.(map[string]any)["what"] = m.What
		if a := c.failed[m.IP]; a != nil && a.lockedUntil > ms {
			out.Reply = lockedOut(a.lockedUntil - ms)
		} else {
			out.Reply = messages.AttemptAllowed{}
		}
		return out
	case messages.Logout:
		return c.logout(m, v)
	case messages.MintTicket:
		rec := marshal(&storev1.Ticket{ExpiresMs: m.ExpiresMs})
		return host.Output{Writes: []persist.Write{put(c.keys.ticket(m.Hash), rec)}, Reply: messages.TicketMinted{ExpiresMs: m.ExpiresMs}}
	case messages.ExchangeTicket:
		return c.exchange(ms, m, v)
	case messages.CreateToken:
		return c.createToken(ms, m, v)
	case messages.ListTokens:
		return host.Output{Reply: messages.TokenList{Tokens: c.listTokens(v)}}
	case messages.RevokeToken:
		return c.revokeToken(m, v)
	case messages.TokenUsed:
		return c.tokenUsed(m, v)
	}
	return host.Output{Reply: fmt.Errorf("auth: unknown command %T", msg)}
}

func (c *core) setPassword(ms int64, m messages.SetPassword, v persist.View) host.Output {
	if m.Hash == "" {
		return host.Output{Reply: messages.Invalid("password", "is required")}
	}
	writes := []persist.Write{put(c.keys.password(), marshal(&storev1.Password{Phc: m.Hash, SetMs: ms, Via: m.Via}))}
	revoked := 0
	for _, prefix := range []string{c.keys.sessions(), c.keys.tokens(), c.keys.tokenIDs()} {
		v.Scan(persist.Auth, prefix, "", func(k string, _ []byte) bool {
			writes = append(writes, del(k))
			if prefix != c.keys.tokenIDs() {
				revoked++
			}
			return true
		})
	}
	return host.Output{
		Writes: writes,
		Events: []host.Event{{Type: "password_changed", Data: map[string]any{"via": m.Via, "revoked_bearers": revoked}}},
		Reply:  messages.PasswordChanged{Revoked: revoked},
	}
}

func (c *core) beginLogin(ms int64, m messages.BeginLogin, v persist.View) host.Output {
	if a := c.failed[m.IP]; a != nil && a.lockedUntil > ms {
		return host.Output{Reply: lockedOut(a.lockedUntil - ms)}
	}
	var pw storev1.Password
	if !get(v, c.keys.password(), &pw) {
		return host.Output{Reply: fmt.Errorf("%w: no password is set yet; run `meshhold set-password`", messages.ErrSetupRequired)}
	}
	return host.Output{Reply: messages.LoginChallenge{Hash: pw.GetPhc()}}
}

func (c *core) finishLogin(ms int64, m messages.FinishLogin, v persist.View) host.Output {
	var pw storev1.Password
	current := get(v, c.keys.password(), &pw) && pw.GetPhc() == m.Hash
	if a := c.failed[m.IP]; a != nil && a.lockedUntil > ms {
		return host.Output{Reply: lockedOut(a.lockedUntil - ms)}
	}
	if !m.OK || !current {
		return c.loginFailed(ms, m.IP)
	}
	delete(c.failed, m.IP)
	return c.issue(ms, m.Session, m.IP, "login", "login_succeeded")
}

func (c *core) loginFailed(ms int64, ip string) host.Output {
	a := c.track(ms, ip)
	cutoff := ms - c.cfg.Window.Milliseconds()
	kept := a.failures[:0]
	for _, f := range a.failures {
		if f > cutoff {
			kept = append(kept, f)
		}
	}
	a.failures = append(kept, ms)
	out := host.Output{
		Events: []host.Event{{Type: "login_failed", Data: map[string]any{"ip": ip, "failures": len(a.failures)}}},
		Reply:  fmt.Errorf("%w: wrong password", messages.ErrUnauthorized),
	}
	if len(a.failures) >= c.cfg.MaxAttempts {
		a.lockedUntil, a.failures = ms+c.cfg.Lockout.Milliseconds(), nil
		out.Events = append(out.Events, host.Event{Type: "login_locked_out", Data: map[string]any{"ip": ip, "retry_after_ms": c.cfg.Lockout.Milliseconds()}})
	}
	return out
}

// track returns ip's attempts, forgetting stale IPs when too many are tracked.
func (c *core) track(ms int64, ip string) *attempts {
	if a, ok := c.failed[ip]; ok {
		return a
	}
	if len(c.failed) >= maxTracked {
		cutoff := ms - c.cfg.Window.Milliseconds()
		for k, a := range c.failed { // removes every stale entry: the order does not matter
			if a.lockedUntil <= ms && (len(a.failures) == 0 || a.failures[len(a.failures)-1] <= cutoff) {
				delete(c.failed, k)
			}
		}
	}
	a := &attempts{}
	c.failed[ip] = a
	return a
}

func lockedOut(wait int64) error {
	return &messages.RetryAfterError{
		Err:   fmt.Errorf("%w: too many failed logins from this address; try again later", messages.ErrTooManyRequests),
		After: time.Duration(wait) * time.Millisecond,
	}
}

// issue stores a new session and reports it with event typ.
func (c *core) issue(ms int64, s messages.NewSession, ip, via, typ string) host.Output {
	rec := marshal(&storev1.Session{Id: s.ID, CreatedMs: ms, ExpiresMs: s.ExpiresMs, Ip: ip, Via: via})
	return host.Output{
		Writes: []persist.Write{put(c.keys.session(s.TokenHash), rec)},
		Events: []host.Event{{Type: typ, Data: map[string]any{"ip": ip, "session_id": s.ID}}},
		Reply:  messages.SessionIssued{ID: s.ID, ExpiresMs: s.ExpiresMs},
	}
}

func (c *core) logout(m messages.Logout, v persist.View) host.Output {
	var s storev1.Session
	if !get(v, c.keys.session(m.TokenHash), &s) {
		return host.Output{Reply: messages.LoggedOut{}}
	}
	return host.Output{
		Writes: []persist.Write{del(c.keys.session(m.TokenHash))},
		Events: []host.Event{{Type: "logged_out", Data: map[string]any{"session_id": s.GetId()}}},
		Reply:  messages.LoggedOut{Found: true},
	}
}

func (c *core) exchange(ms int64, m messages.ExchangeTicket, v persist.View) host.Output {
	var t storev1.Ticket
	if !get(v, c.keys.ticket(m.TicketHash), &t) {
		return host.Output{Reply: fmt.Errorf("%w: unknown or already used bootstrap ticket", messages.ErrUnauthorized)}
	}
	if t.GetExpiresMs() <= ms {
		return host.Output{Writes: []persist.Write{del(c.keys.ticket(m.TicketHash))},
			Reply: fmt.Errorf("%w: the bootstrap ticket expired; mint a new one", messages.ErrUnauthorized)}
	}
	out := c.issue(ms, m.Session, "", "bootstrap", "bootstrap_exchanged")
	out.Writes = append(out.Writes, del(c.keys.ticket(m.TicketHash)))
	return out
}
