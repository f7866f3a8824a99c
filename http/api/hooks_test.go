package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
)

const (
	hookToken  = "tok-0123456789abcdef"
	otherToken = "tok-fedcba9876543210"
)

// posted is one call of Hooks.Post.
type posted struct{ room, sender, text string }

// hookRig is the hooks routes over a recording Post and a clock the test moves.
type hookRig struct {
	h     http.Handler
	hooks *api.Hooks
	mu    sync.Mutex
	posts []posted
	now   time.Time
	logs  bytes.Buffer
}

func newHookRig(t *testing.T) *hookRig {
	t.Helper()
	rig := &hookRig{now: time.Unix(1_700_000_000, 0)}
	rig.hooks = &api.Hooks{
		Tokens: map[string]api.HookTarget{hookToken: {RoomID: "room-1", Name: "ci"}, otherToken: {RoomID: "room-2", Name: "alerts"}},
		Post: func(_ context.Context, room, sender, text string) error {
			rig.mu.Lock()
			defer rig.mu.Unlock()
			if room == "room-2" && text == "gone" {
				return messages.NotFound("room")
			}
			rig.posts = append(rig.posts, posted{room, sender, text})
			return nil
		},
		Now: func() time.Time { rig.mu.Lock(); defer rig.mu.Unlock(); return rig.now },
	}
	log := slog.New(slog.NewTextHandler(&rig.logs, nil))
	rig.h = api.NewRouter(rig.hooks.Routes(), api.RouterDeps{Logger: log})
	return rig
}

func (rig *hookRig) do(method, token, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/v1/hooks/"+token, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	rig.h.ServeHTTP(rec, r)
	return rec
}

func (rig *hookRig) lastPost() (posted, int) {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	if len(rig.posts) == 0 {
		return posted{}, 0
	}
	return rig.posts[len(rig.posts)-1], len(rig.posts)
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// Slack, Mattermost and Discord bodies, as JSON and as forms, land as messages in the token's
// room; the sender is the body's username, else the hook's name.
func TestHookBodiesPostIntoTheRoom(t *testing.T) {
	const formType = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, token, contentType, body string
		want                           posted
	}{
		{"slack json", hookToken, "application/json", `{"text":"build ok","channel":"#ci","icon_emoji":":tada:","blocks":[]}`, posted{"room-1", "ci", "build ok"}},
		{"slack form payload", hookToken, formType, form("payload", `{"text":"deploy done"}`), posted{"room-1", "ci", "deploy done"}},
		{"mattermost json", hookToken, "application/json; charset=utf-8", `{"text":"hello","username":"bot"}`, posted{"room-1", "bot", "hello"}},
		{"mattermost form payload", otherToken, formType, form("payload", `{"text":"disk full","username":"nagios"}`), posted{"room-2", "nagios", "disk full"}},
		{"discord json", otherToken, "application/json", `{"content":"gg","username":"Captain Hook","tts":false}`, posted{"room-2", "Captain Hook", "gg"}},
		{"plain form fields", hookToken, formType, form("text", "from curl", "username", "me"), posted{"room-1", "me", "from curl"}},
		{"no content type", hookToken, "", `{"text":"bare"}`, posted{"room-1", "ci", "bare"}},
	} {
		rig := newHookRig(t)
		rec := rig.do(http.MethodPost, tc.token, tc.contentType, tc.body)
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"ok":true}` {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
			continue
		}
		if got, n := rig.lastPost(); n != 1 || got != tc.want {
			t.Errorf("%s: posted %+v (%d calls), want %+v", tc.name, got, n, tc.want)
		}
	}
}

// GET probes a token: {"ok":true} when it resolves, 404 (never 401) when it does not.
func TestHookProbeAndUnknownTokens(t *testing.T) {
	rig := newHookRig(t)
	if rec := rig.do(http.MethodGet, hookToken, "", ""); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"ok":true}` {
		t.Errorf("GET known token: %d %s", rec.Code, rec.Body)
	}
	for _, tok := range []string{"nope", hookToken + "x", hookToken[:len(hookToken)-1], strings.ToUpper(hookToken)} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			rec := rig.do(method, tok, "application/json", `{"text":"x"}`)
			if rec.Code != http.StatusNotFound || rec.Header().Get("WWW-Authenticate") != "" {
				t.Errorf("%s unknown token %q: %d %v", method, tok, rec.Code, rec.Header())
			}
		}
	}
	if _, n := rig.lastPost(); n != 0 {
		t.Errorf("unknown tokens posted %d messages", n)
	}
}

// Bodies that cannot become a message are refused with a status saying why.
func TestHookRefusesBadBodies(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"no text", "application/json", `{"channel":"#ci"}`, 400, "text: the body has neither text"},
		{"blank text", "application/json", `{"text":"  ","content":"\n"}`, 400, "neither text"},
		{"not json", "application/json", `text=hello`, 400, "payload: is not a JSON object"},
		{"form payload not json", "application/x-www-form-urlencoded", form("payload", "{"), 400, "payload"},
		{"too long for a message", "application/json", `{"text":"` + strings.Repeat("x", messages.MaxChatText+1) + `"}`, 400, "a chat message holds at most"},
		{"long username", "application/json", `{"text":"x","username":"` + strings.Repeat("u", 200) + `"}`, 400, "username"},
		{"over 64 KiB", "application/json", `{"text":"` + strings.Repeat("x", api.HookBodyLimit) + `"}`, 413, "the limit is 65536 bytes"},
		{"other media type", "text/plain", "hello", 415, "send application/json or application/x-www-form-urlencoded"},
	} {
		rig := newHookRig(t)
		rec := rig.do(http.MethodPost, hookToken, tc.contentType, tc.body)
		if rec.Code != tc.status || !strings.Contains(errorOf(t, rec), tc.want) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, rec.Code, errorOf(t, rec), tc.status, tc.want)
		}
		if _, n := rig.lastPost(); n != 0 {
			t.Errorf("%s: a refused body was posted", tc.name)
		}
	}
}

// Without chat rooms the route answers 503 with a plain reason, and the token stays out of
// the error log.
func TestHookWithoutRooms(t *testing.T) {
	rig := newHookRig(t)
	rig.hooks.Post = nil
	rec := rig.do(http.MethodPost, hookToken, "application/json", `{"text":"hi"}`)
	if rec.Code != http.StatusServiceUnavailable || strings.TrimSpace(rec.Body.String()) != `{"error":"chat rooms are not available on this node yet"}` {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if rec := rig.do(http.MethodGet, hookToken, "", ""); rec.Code != 200 {
		t.Errorf("probe without rooms: %d", rec.Code)
	}
	if !strings.Contains(rig.logs.String(), "request failed") || strings.Contains(rig.logs.String(), hookToken) {
		t.Errorf("log should record the 503 without the token:\n%s", rig.logs.String())
	}
}

// Post's domain errors go through the error table.
func TestHookPostErrors(t *testing.T) {
	rig := newHookRig(t)
	if rec := rig.do(http.MethodPost, otherToken, "application/json", `{"content":"gone"}`); rec.Code != 404 || errorOf(t, rec) != "room not found" {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

// Each token gets a burst of 10 posts, then one every 2 s (30 a minute); past that 429 with
// Retry-After, and other tokens are not affected.
func TestHookRateLimitPerToken(t *testing.T) {
	rig := newHookRig(t)
	post := func(tok string) *httptest.ResponseRecorder {
		return rig.do(http.MethodPost, tok, "application/json", `{"text":"x"}`)
	}
	for i := range api.HookBurst {
		if rec := post(hookToken); rec.Code != 200 {
			t.Fatalf("post %d of the burst: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := post(hookToken)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" || !strings.Contains(errorOf(t, rec), "too many webhook posts") {
		t.Fatalf("post past the burst: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := post(otherToken); rec.Code != 200 {
		t.Errorf("another token was limited too: %d", rec.Code)
	}
	if rec := rig.do(http.MethodGet, hookToken, "", ""); rec.Code != 200 {
		t.Errorf("the probe is not rate limited: %d", rec.Code)
	}
	rig.mu.Lock()
	rig.now = rig.now.Add(2 * time.Second)
	rig.mu.Unlock()
	if rec := post(hookToken); rec.Code != 200 {
		t.Errorf("after 2 s: %d", rec.Code)
	}
	if rec := post(hookToken); rec.Code != 429 {
		t.Errorf("one post per 2 s: %d", rec.Code)
	}
	if _, n := rig.lastPost(); n != api.HookBurst+2 {
		t.Errorf("%d posts landed, want %d", n, api.HookBurst+2)
	}
}

// The routes are the documented rows (access hook-token).
func TestHookRoutesAreDocumented(t *testing.T) {
	table, err := apitest.LoadTable(tables...)
	if err != nil {
		t.Fatal(err)
	}
	if errs := apitest.Mismatches((&api.Hooks{}).Routes(), table); len(errs) != 0 {
		t.Errorf("%v", errs)
	}
}
