package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/messages"
)

// Limits of the inbound webhooks.
const (
	// HookBodyLimit bounds one webhook body (413 past it).
	HookBodyLimit = 64 << 10
	// HookRate and HookBurst bound the POSTs of one token: HookBurst at once, then HookRate.
	HookRate  = 30.0 / 60 // per second: 30 a minute
	HookBurst = 10
	// maxHookSender bounds the username a body may set.
	maxHookSender = 128
)

// HookTarget is where one inbound webhook token posts: a chat room, and the hook's name, which
// is the sender when the body names none.
type HookTarget struct {
	RoomID string
	Name   string
}

// Hooks serves the inbound webhooks of config.yaml (POST and GET /hooks/{token}): Slack,
// Mattermost and Discord bodies become chat messages.
type Hooks struct {
	// Tokens maps each token to its room; compared in constant time.
	Tokens map[string]HookTarget
	// Post posts text into the room as sender; nil while this node has no chat rooms (503).
	Post func(ctx context.Context, roomID, sender, text string) error
	// Now is the rate limiter's clock; nil: time.Now.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*hookBucket // by token
}

// HookBody is what a webhook body may carry; other fields (Slack's blocks, attachments,
// icon_emoji …) are accepted and ignored.
type HookBody struct {
	Text     string `json:"text,omitempty"`     // Slack, Mattermost
	Content  string `json:"content,omitempty"`  // Discord
	Username string `json:"username,omitempty"` // Mattermost, Discord: the sender shown
}

// HookReply answers a webhook that resolved (and, for POST, was posted).
type HookReply struct {
	OK bool `json:"ok"`
}

// Routes lists the inbound webhook routes.
func (h *Hooks) Routes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/hooks/{token}", Access: HookToken, Body: Raw, Handler: h.post, Doc: Doc{
			Summary: "Post a Slack (text), Mattermost (text, username) or Discord (content, username) webhook body into the token's chat room; JSON or form-encoded payload=; at most 64 KiB, 30 a minute per token (burst 10). Unknown tokens are 404.",
			Request: HookBody{}, Response: HookReply{OK: true},
		}},
		{Method: http.MethodGet, Pattern: "/hooks/{token}", Access: HookToken, Handler: h.probe, Doc: Doc{
			Summary:  "Probe: {\"ok\": true} when the token resolves to a webhook, else 404.",
			Response: HookReply{OK: true},
		}},
	}
}

func (h *Hooks) probe(w http.ResponseWriter, r *http.Request) {
	r = redactToken(r)
	if _, ok := h.lookup(chi.URLParam(r, "token")); !ok {
		WriteError(w, r, messages.NotFound("webhook"))
		return
	}
	WriteJSON(w, http.StatusOK, HookReply{OK: true})
}

func (h *Hooks) post(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	r = redactToken(r)
	target, ok := h.lookup(token)
	if !ok {
		WriteError(w, r, messages.NotFound("webhook"))
		return
	}
	if wait, ok := h.take(token); !ok {
		WriteError(w, r, &messages.RetryAfterError{After: wait,
			Err: because(messages.ErrTooManyRequests, "too many webhook posts on this token (%d at once, then 30 a minute); try again later", HookBurst)})
		return
	}
	body, err := readHookBody(w, r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	text := body.Text
	if strings.TrimSpace(text) == "" {
		text = body.Content
	}
	sender := strings.TrimSpace(body.Username)
	switch {
	case strings.TrimSpace(text) == "":
		err = messages.Invalid("text", "the body has neither text (Slack, Mattermost) nor content (Discord)")
	case len(text) > messages.MaxChatText:
		err = messages.Invalid("text", "is %d bytes; a chat message holds at most %d", len(text), messages.MaxChatText)
	case len(sender) > maxHookSender:
		err = messages.Invalid("username", "is %d bytes; at most %d", len(sender), maxHookSender)
	case h.Post == nil:
		err = because(messages.ErrSetupRequired, "chat rooms are not available on this node yet")
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if sender == "" {
		sender = cmp.Or(target.Name, "webhook")
	}
	if err := h.Post(r.Context(), target.RoomID, sender, text); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, HookReply{OK: true})
}

// readHookBody reads at most HookBodyLimit bytes: JSON, or a form with a payload= JSON field
// (Slack and Mattermost send that) or plain text=/content=/username= fields.
func readHookBody(w http.ResponseWriter, r *http.Request) (HookBody, error) {
	var body HookBody
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, HookBodyLimit))
	if err != nil {
		return body, err // 413 past the limit
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json", "":
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return body, messages.Invalid("", "the form body does not parse: %v", err)
		}
		if !form.Has("payload") {
			return HookBody{Text: form.Get("text"), Content: form.Get("content"), Username: form.Get("username")}, nil
		}
		raw = []byte(form.Get("payload"))
	default:
		return body, because(errContentType, "Content-Type %q is not accepted here; send application/json or application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return body, messages.Invalid("payload", "is not a JSON object with text or content: %v", err)
	}
	return body, nil
}

// lookup finds token's target, comparing digests in constant time against every token so
// neither the answer's timing nor its status says how close a guess was.
func (h *Hooks) lookup(token string) (HookTarget, bool) {
	want := sha256.Sum256([]byte(token))
	var found HookTarget
	match := 0
	for tok, target := range h.Tokens {
		have := sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(want[:], have[:]) == 1 {
			found, match = target, 1
		}
	}
	return found, match == 1 && token != ""
}

// hookBucket is one token's rate limit: tokens refill at HookRate up to HookBurst.
type hookBucket struct {
	tokens float64
	at     time.Time
}

// take spends one post of token's bucket, or says how long until one is available.
func (h *Hooks) take(token string) (time.Duration, bool) {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.buckets == nil {
		h.buckets = map[string]*hookBucket{}
	}
	b, ok := h.buckets[token]
	if !ok {
		b = &hookBucket{tokens: HookBurst, at: now}
		h.buckets[token] = b
	}
	if now.After(b.at) {
		b.tokens = math.Min(HookBurst, b.tokens+now.Sub(b.at).Seconds()*HookRate)
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / HookRate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// redactToken returns r with the token replaced in its URL, so error logs never carry it.
func redactToken(r *http.Request) *http.Request {
	r2 := r.WithContext(r.Context()) // a shallow copy with its own URL
	u := *r.URL
	u.Path, u.RawPath = Prefix+"/hooks/"+messages.Redacted, ""
	r2.URL = &u
	return r2
}
