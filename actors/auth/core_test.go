package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// driver steps the auth core as a host would; time stands still unless a test moves Now.
type driver struct{ *coretest.Driver }

func newDriver(t *testing.T) *driver {
	return &driver{coretest.New(t, "auth/local", Load(Config{MaxAttempts: 3, Window: time.Minute, Lockout: 5 * time.Minute}))}
}

func (d *driver) verifier() *Verifier {
	return &Verifier{Store: d.Store, Clock: clockAt{&d.Now}, keys: keys{"auth/local/"}}
}

type clockAt struct{ t *time.Time }

func (c clockAt) Now() time.Time { return *c.t }

func (d *driver) login(ip, hash string, ok bool) (string, any) {
	token, th := Mint(SessionPrefix)
	s := messages.NewSession{ID: NewID(), TokenHash: th, ExpiresMs: d.Now.Add(SessionTTL).UnixMilli()}
	return token, d.Step(messages.FinishLogin{IP: ip, Hash: hash, OK: ok, Session: s})
}

func TestLoginBeforeAnyPasswordIsSetupRequired(t *testing.T) {
	d := newDriver(t)
	if err, _ := d.Step(messages.BeginLogin{IP: "a"}).(error); !errors.Is(err, messages.ErrSetupRequired) {
		t.Fatalf("BeginLogin with no password: %v", err)
	}
}

func TestLoginSessionLogoutAndPasswordChangeRevokes(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.SetPassword{Hash: "H1", Via: "cli"})
	if ch, ok := d.Step(messages.BeginLogin{IP: "a"}).(messages.LoginChallenge); !ok || ch.Hash != "H1" {
		t.Fatalf("challenge %v", ch)
	}
	token, reply := d.login("a", "H1", true)
	if _, ok := reply.(messages.SessionIssued); !ok {
		t.Fatalf("login: %v", reply)
	}
	v := d.verifier()
	if p, err := v.Authenticate(context.Background(), token); err != nil || p.Kind != "session" {
		t.Fatalf("fresh session: %v %v", p, err)
	}
	apiToken, h := Mint(TokenPrefix)
	d.Step(messages.CreateToken{ID: "t1", Name: "ci", Hash: h})
	if p, err := v.Authenticate(context.Background(), apiToken); err != nil || p.Name != "ci" {
		t.Fatalf("api token: %v %v", p, err)
	}
	// A login verified against a password that changed meanwhile fails.
	d.Step(messages.SetPassword{Hash: "H2", Via: "admin-token"})
	if _, reply := d.login("a", "H1", true); !errors.Is(reply.(error), messages.ErrUnauthorized) {
		t.Fatalf("login against the old hash: %v", reply)
	}
	for _, tok := range []string{token, apiToken} {
		if _, err := v.Authenticate(context.Background(), tok); !errors.Is(err, messages.ErrUnauthorized) {
			t.Fatalf("bearer %s survived a password change: %v", tok[:4], err)
		}
	}
	token, _ = d.login("a", "H2", true)
	if r := d.Step(messages.Logout{TokenHash: Hash(token)}); r != (messages.LoggedOut{Found: true}) {
		t.Fatalf("logout: %v", r)
	}
	if _, err := v.Authenticate(context.Background(), token); err == nil {
		t.Fatal("session survived logout")
	}
	d.Now = d.Now.Add(SessionTTL + time.Second)
	token, _ = d.login("a", "H2", true)
	d.Now = d.Now.Add(SessionTTL)
	if _, err := v.Authenticate(context.Background(), token); err == nil {
		t.Fatal("an expired session authenticated")
	}
}

func TestLockoutAfterMaxFailuresAndRestartForgets(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.SetPassword{Hash: "H", Via: "cli"})
	for i := 0; i < 3; i++ {
		if _, r := d.login("bad", "H", false); !errors.Is(r.(error), messages.ErrUnauthorized) {
			t.Fatalf("failure %d: %v", i, r)
		}
	}
	var retry *messages.RetryAfterError
	if err, _ := d.Step(messages.BeginLogin{IP: "bad"}).(error); !errors.As(err, &retry) || retry.After != 5*time.Minute {
		t.Fatalf("locked IP: %v", err)
	}
	if _, ok := d.Step(messages.BeginLogin{IP: "good"}).(messages.LoginChallenge); !ok {
		t.Fatal("another IP is locked out too")
	}
	d.Now = d.Now.Add(5*time.Minute + time.Millisecond)
	if _, ok := d.Step(messages.BeginLogin{IP: "bad"}).(messages.LoginChallenge); !ok {
		t.Fatal("the lockout did not end")
	}
	// Failures older than the window do not count.
	d.login("slow", "H", false)
	d.login("slow", "H", false)
	d.Now = d.Now.Add(2 * time.Minute)
	d.login("slow", "H", false)
	if _, ok := d.Step(messages.BeginLogin{IP: "slow"}).(messages.LoginChallenge); !ok {
		t.Fatal("failures outside the window locked the IP")
	}
	want := []string{"password_changed", "login_failed", "login_failed", "login_failed", "login_locked_out"}
	var events []string
	for _, ev := range d.Events {
		events = append(events, ev.Type)
	}
	for i, w := range want {
		if events[i] != w {
			t.Fatalf("events %v, want prefix %v", events, want)
		}
	}
}

func TestBootstrapTicketIsSingleUseAndExpires(t *testing.T) {
	d := newDriver(t)
	ticket, th := Mint(TicketPrefix)
	d.Step(messages.MintTicket{Hash: th, ExpiresMs: d.Now.Add(time.Minute).UnixMilli()})
	exchange := func() any {
		_, sh := Mint(SessionPrefix)
		return d.Step(messages.ExchangeTicket{TicketHash: Hash(ticket), Session: messages.NewSession{ID: NewID(), TokenHash: sh, ExpiresMs: d.Now.Add(SessionTTL).UnixMilli()}})
	}
	if _, ok := exchange().(messages.SessionIssued); !ok {
		t.Fatal("first exchange failed")
	}
	if err, _ := exchange().(error); !errors.Is(err, messages.ErrUnauthorized) {
		t.Fatalf("second exchange of the same ticket: %v", err)
	}
	ticket, th = Mint(TicketPrefix)
	d.Step(messages.MintTicket{Hash: th, ExpiresMs: d.Now.Add(time.Minute).UnixMilli()})
	d.Now = d.Now.Add(time.Minute)
	if err, _ := exchange().(error); !errors.Is(err, messages.ErrUnauthorized) {
		t.Fatalf("expired ticket: %v", err)
	}
}

func TestTokensListRevokeAndCollect(t *testing.T) {
	d := newDriver(t)
	_, h1 := Mint(TokenPrefix)
	tok2, h2 := Mint(TokenPrefix)
	d.Step(messages.CreateToken{ID: "a", Name: "backup", Hash: h1})
	d.Now = d.Now.Add(time.Second)
	d.Step(messages.CreateToken{ID: "b", Name: "metrics", Hash: h2, ExpiresMs: d.Now.Add(time.Hour).UnixMilli()})
	if err, _ := d.Step(messages.CreateToken{ID: "c", Name: "backup", Hash: "x"}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	if err, _ := d.Step(messages.CreateToken{ID: "c", Name: " ", Hash: "x"}).(error); err == nil {
		t.Fatal("blank name accepted")
	}
	list := d.Step(messages.ListTokens{}).(messages.TokenList).Tokens
	if len(list) != 2 || list[0].Name != "backup" || list[1].Name != "metrics" {
		t.Fatalf("list %v", list)
	}
	if err, _ := d.Step(messages.RevokeToken{ID: "zzz"}).(error); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	d.Step(messages.RevokeToken{ID: "a"})
	if list := d.Step(messages.ListTokens{}).(messages.TokenList).Tokens; len(list) != 1 || list[0].ID != "b" {
		t.Fatalf("after revoke: %v", list)
	}
	d.Now = d.Now.Add(2 * time.Hour)
	if _, err := d.verifier().Authenticate(context.Background(), tok2); err == nil {
		t.Fatal("an expired API token authenticated")
	}
	d.Step(host.Wake{Key: "gc"})
	n := 0
	_ = persist.ReadWith(d.Store, func(v persist.View) error {
		v.Scan(persist.Auth, "auth/local/token", "", func(string, []byte) bool { n++; return true })
		return nil
	})
	if n != 0 {
		t.Fatalf("%d token records left after collecting expired ones", n)
	}
}

func TestPasswordHashRoundTrip(t *testing.T) {
	argonTime, argonMemoryKiB = 1, 64
	defer func() { argonTime, argonMemoryKiB = 3, 64<<10 }()
	phc, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct hors": false, "": false} {
		if ok, err := CheckPassword(phc, pw); ok != want || err != nil {
			t.Errorf("CheckPassword(%q) = %v %v", pw, ok, err)
		}
	}
	if _, err := CheckPassword("$bcrypt$x", "a"); err == nil {
		t.Error("a foreign hash was accepted")
	}
}

// A wrong vault password counts towards the same lockout as wrong logins.
func TestUnlockAttemptsShareTheLoginLockout(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.SetPassword{Hash: "H", Via: "cli"})
	d.login("ip", "H", false)
	d.login("ip", "H", false)
	if _, ok := d.Step(messages.CheckAttempt{IP: "ip"}).(messages.AttemptAllowed); !ok {
		t.Fatal("two failures already lock out (the budget is 3)")
	}
	var retry *messages.RetryAfterError
	if err, _ := d.Step(messages.AttemptFailed{IP: "ip", What: "vault_unlock"}).(error); !errors.As(err, &retry) {
		t.Fatalf("the third failure, an unlock, does not lock out: %v", err)
	}
	if err, _ := d.Step(messages.BeginLogin{IP: "ip"}).(error); !errors.As(err, &retry) {
		t.Fatalf("after an unlock failure locked the IP out, login is still allowed: %v", err)
	}
}
