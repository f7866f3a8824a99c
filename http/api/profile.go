package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// Profile serves the profile theme: the node's profile and its push test, the contact list
// and the runtime settings.
type Profile struct {
	Actors Actors
	// Profile, Contacts and Settings are the managers of the profile, contacts and settings kinds.
	Profile, Contacts, Settings *host.Manager
	// Sealer seals secret settings before they reach the settings actor (the node's keyring);
	// while it is nil, secrets are refused with 503.
	Sealer Sealer
	// PushClient sends push tests (nil: a client that does not follow redirects).
	PushClient *http.Client
	// PushTimeout bounds a push test (0: DefaultPushTimeout).
	PushTimeout time.Duration
}

// Sealer seals and opens secrets for a purpose; *keyring.Keyring is one.
type Sealer interface {
	Seal(purpose string, plaintext []byte) ([]byte, error)
	Open(purpose string, sealed []byte) ([]byte, error)
}

// DefaultPushTimeout bounds a push test when Profile.PushTimeout is 0.
const DefaultPushTimeout = 10 * time.Second

// Routes lists the profile theme's routes.
func (p *Profile) Routes() []Route {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	return []Route{
		{Method: get, Pattern: "/profile", Access: Bearer, Handler: p.getProfile, Doc: Doc{
			Summary: "This node's profile: display name, avatar, push endpoint, metered flag", Response: messages.Profile{}}},
		{Method: put, Pattern: "/profile", Access: Bearer, Handler: p.putProfile, Doc: Doc{
			Summary: "Change the fields given; \"\" removes the avatar or push endpoint", Request: messages.UpdateProfile{}, Response: messages.Profile{}}},
		{Method: post, Pattern: "/profile/push-test", Access: Bearer, Handler: p.pushTest, Doc: Doc{
			Summary: "POST a no-op push to the saved push endpoint and report how it answered (409 when none is set)", Response: PushTestReply{}}},
		{Method: get, Pattern: "/contacts", Access: Bearer, Handler: p.listContacts, Doc: Doc{
			Summary: "The contact list: favourites first, then by name", Response: ContactListReply{}}},
		{Method: post, Pattern: "/contacts", Access: Bearer, Handler: p.postContact, Doc: Doc{
			Summary: "Add a contact (201) or change the fields given (200)", Request: messages.UpsertContact{}, Response: messages.Contact{}, Status: http.StatusCreated}},
		{Method: put, Pattern: "/contacts/{node_id}", Access: Bearer, Handler: p.putContact, Doc: Doc{
			Summary: "Change the fields given (200) or add the contact (201)", Request: messages.UpsertContact{}, Response: messages.Contact{}}},
		{Method: get, Pattern: "/contacts/{node_id}", Access: Bearer, Handler: p.getContact, Doc: Doc{
			Summary: "One contact", Response: messages.Contact{}}},
		{Method: del, Pattern: "/contacts/{node_id}", Access: Bearer, Handler: p.deleteContact, Doc: Doc{
			Summary: "Remove a contact", Status: http.StatusNoContent}},
		{Method: get, Pattern: "/settings", Access: Bearer, Handler: p.getSettings, Doc: Doc{
			Summary: "Every runtime setting; a secret shows as {\"set\": bool}", Response: SettingsReply{}}},
		{Method: put, Pattern: "/settings", Access: Bearer, Handler: p.putSettings, Doc: Doc{
			Summary: "Change the settings given, all or none; null resets one to its default", Request: SettingsReply{}, Response: SettingsReply{}}},
	}
}

func (p *Profile) getProfile(w http.ResponseWriter, r *http.Request) {
	prof, err := ask[messages.Profile](r.Context(), p.Actors, p.Profile, messages.ProfileID, messages.GetProfile{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, prof)
}

func (p *Profile) putProfile(w http.ResponseWriter, r *http.Request) {
	var req messages.UpdateProfile
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	prof, err := ask[messages.Profile](r.Context(), p.Actors, p.Profile, messages.ProfileID, req)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, prof)
}

// PushTestReply is the body of POST /profile/push-test: whether the endpoint took the push
// (a 2xx answer), its status (0 when it did not answer), and the time to its answer.
type PushTestReply struct {
	OK        bool   `json:"ok"`
	Status    int    `json:"status"`
	LatencyMs int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// pushTestBody is what a push test POSTs.
type pushTestBody struct {
	Type   string `json:"type"`
	NodeID string `json:"node_id"`
	TsMs   int64  `json:"ts_ms"`
}

// pushTest POSTs here, in the request goroutine: cores do no I/O.
func (p *Profile) pushTest(w http.ResponseWriter, r *http.Request) {
	prof, err := ask[messages.Profile](r.Context(), p.Actors, p.Profile, messages.ProfileID, messages.GetProfile{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if prof.PushEndpoint == "" {
		WriteError(w, r, because(messages.ErrConflict, "no push endpoint is set: set push_endpoint with PUT /profile first"))
		return
	}
	WriteJSON(w, http.StatusOK, p.push(r.Context(), prof))
}

func (p *Profile) push(ctx context.Context, prof messages.Profile) PushTestReply {
	timeout := cmp.Or(p.PushTimeout, DefaultPushTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, _ := json.Marshal(pushTestBody{Type: "push_test", NodeID: prof.NodeID, TsMs: time.Now().UnixMilli()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, prof.PushEndpoint, bytes.NewReader(body))
	if err != nil {
		return PushTestReply{Error: "the saved push endpoint is not a usable URL; set it again"}
	}
	req.Header.Set("Content-Type", "application/json")
	client := p.PushClient
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	start := time.Now()
	resp, err := client.Do(req)
	latency := time.Since(start).Milliseconds()
	if err != nil {
		return PushTestReply{LatencyMs: latency, Error: pushError(err, timeout)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	reply := PushTestReply{OK: resp.StatusCode >= 200 && resp.StatusCode < 300, Status: resp.StatusCode, LatencyMs: latency}
	if !reply.OK {
		reply.Error = "the push endpoint answered " + resp.Status
	}
	return reply
}

// pushError says why a push test got no answer, without repeating the endpoint's URL.
func pushError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("the push endpoint did not answer within %s", timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return "could not reach the push endpoint: " + err.Error()
}

// ContactListReply is the body of GET /contacts.
type ContactListReply struct {
	Contacts []messages.Contact `json:"contacts"`
}

func (p *Profile) listContacts(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.ContactList](r.Context(), p.Actors, p.Contacts, messages.ContactsID, messages.ListContacts{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list.Contacts == nil {
		list.Contacts = []messages.Contact{}
	}
	WriteJSON(w, http.StatusOK, ContactListReply{Contacts: list.Contacts})
}

func (p *Profile) postContact(w http.ResponseWriter, r *http.Request) {
	var req messages.UpsertContact
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	id, err := nodeID(req.NodeID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	req.NodeID = id
	p.upsertContact(w, r, req)
}

func (p *Profile) putContact(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(chi.URLParam(r, "node_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	var req messages.UpsertContact
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.NodeID != "" {
		if body, err := nodeID(req.NodeID); err != nil || body != id {
			WriteError(w, r, messages.Invalid("node_id", "the body names another node than the path; leave it out"))
			return
		}
	}
	req.NodeID = id
	p.upsertContact(w, r, req)
}

func (p *Profile) upsertContact(w http.ResponseWriter, r *http.Request, req messages.UpsertContact) {
	res, err := ask[messages.ContactUpserted](r.Context(), p.Actors, p.Contacts, messages.ContactsID, req)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, res.Contact)
}

func (p *Profile) getContact(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(chi.URLParam(r, "node_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	c, err := ask[messages.Contact](r.Context(), p.Actors, p.Contacts, messages.ContactsID, messages.GetContact{NodeID: id})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, c)
}

func (p *Profile) deleteContact(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(chi.URLParam(r, "node_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if _, err := ask[messages.ContactRemoved](r.Context(), p.Actors, p.Contacts, messages.ContactsID, messages.RemoveContact{NodeID: id}); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nodeID decodes a libp2p peer id and returns its canonical text, so one node has one key.
func nodeID(s string) (string, error) {
	if s == "" {
		return "", messages.Invalid("node_id", "is required")
	}
	id, err := peer.Decode(s)
	if err != nil || len(s) > messages.MaxNodeID {
		return "", messages.Invalid("node_id", "is not a libp2p peer id (12D3KooW…)")
	}
	return id.String(), nil
}

// SettingsReply is the body of GET and PUT /settings: every setting by key, a secret as
// SecretState, never its value. PUT takes the same shape with the keys to change.
type SettingsReply map[string]any

// SecretState is how a secret setting shows in SettingsReply.
type SecretState struct {
	Set bool `json:"set"`
}

func (p *Profile) getSettings(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.SettingsList](r.Context(), p.Actors, p.Settings, messages.SettingsID, messages.GetSettings{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, settingsReply(list))
}

func (p *Profile) putSettings(w http.ResponseWriter, r *http.Request) {
	var req map[string]json.RawMessage
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	changes, err := p.settingChanges(req)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	list, err := ask[messages.SettingsList](r.Context(), p.Actors, p.Settings, messages.SettingsID, messages.UpdateSettings{Changes: changes})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, settingsReply(list))
}

// settingChanges checks every value, in key order so the error named is stable, and only then
// seals the secrets (purpose messages.SecretPurpose), so the settings actor never sees one.
func (p *Profile) settingChanges(req map[string]json.RawMessage) ([]messages.SettingChange, error) {
	if len(req) == 0 {
		return nil, messages.Invalid("", "name at least one setting; known: %s", messages.SettingKeys())
	}
	changes := make([]messages.SettingChange, 0, len(req))
	for _, key := range slices.Sorted(maps.Keys(req)) {
		spec, ok := messages.LookupSetting(key)
		if !ok {
			return nil, messages.Invalid(key, "unknown setting; known: %s", messages.SettingKeys())
		}
		if string(bytes.TrimSpace(req[key])) == "null" {
			changes = append(changes, messages.SettingChange{Key: key, Reset: true})
			continue
		}
		value, err := spec.Parse(req[key])
		if err != nil {
			return nil, err
		}
		changes = append(changes, messages.SettingChange{Key: key, Value: value})
	}
	for i, ch := range changes {
		if spec, _ := messages.LookupSetting(ch.Key); !spec.Secret || ch.Reset {
			continue
		}
		if p.Sealer == nil {
			return nil, fmt.Errorf("%w: no keyring to seal secret settings with", messages.ErrUnavailable)
		}
		var plain string
		_ = json.Unmarshal(ch.Value, &plain) // Parse made it a JSON string
		sealed, err := p.Sealer.Seal(messages.SecretPurpose(ch.Key), []byte(plain))
		if err != nil {
			return nil, fmt.Errorf("seal setting %s: %w", ch.Key, err)
		}
		changes[i] = messages.SettingChange{Key: ch.Key, Sealed: sealed}
	}
	return changes, nil
}

func settingsReply(list messages.SettingsList) SettingsReply {
	out := make(SettingsReply, len(list.Settings))
	for _, e := range list.Settings {
		if e.Secret {
			out[e.Key] = SecretState{Set: e.Set}
		} else {
			out[e.Key] = e.Value
		}
	}
	return out
}
