package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// S3Keys serves the s3 theme's admin routes: the S3 gateway's access keys and their grants on
// buckets. They work whether the S3 listener is on or off.
type S3Keys struct {
	Actors Actors
	// Keys is the manager of the s3 kind (entity s3/keys).
	Keys *host.Manager
	// Sealer seals a new key's secret (the node keyring); while nil, POST /s3/keys is 503.
	Sealer Sealer
}

// Routes lists the s3 theme's admin routes.
func (s *S3Keys) Routes() []Route {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	keyQuery := Param{Name: "key_id", Type: "string", Description: "only this access key's grants"}
	return []Route{
		{Method: get, Pattern: "/s3/keys", Access: Bearer, Handler: s.listKeys, Doc: Doc{
			Summary: "The S3 access keys, by id; never their secrets", Response: S3KeyListReply{}}},
		{Method: post, Pattern: "/s3/keys", Access: Bearer, Handler: s.createKey, Doc: Doc{
			Summary: "Create an S3 access key; the answer is the only time its secret is shown",
			Request: S3KeyRequest{}, Response: S3KeyCreated{}, Status: http.StatusCreated}},
		{Method: del, Pattern: "/s3/keys/{key_id}", Access: Bearer, Handler: s.deleteKey, Doc: Doc{
			Summary: "Delete an S3 access key and its grants: requests signed with it are refused at once"}},
		{Method: get, Pattern: "/s3/permissions", Access: Bearer, Handler: s.listGrants, Doc: Doc{
			Summary: "The grants of access keys on buckets, by key then bucket", Response: S3GrantListReply{},
			Query: []Param{keyQuery}}},
		{Method: put, Pattern: "/s3/permissions", Access: Bearer, Handler: s.putGrant, Doc: Doc{
			Summary: "Let a key do ops (read, write, delete) on a bucket, replacing what it had there; the bucket need not exist yet",
			Request: messages.S3Grant{}, Response: messages.S3Grant{}}},
		{Method: del, Pattern: "/s3/permissions", Access: Bearer, Handler: s.deleteGrant, Doc: Doc{
			Summary: "Remove a key's grant on a bucket, named by ?key_id=&bucket= or a JSON body {key_id, bucket}",
			Request: messages.RevokeS3{}, Query: []Param{
				{Name: "key_id", Type: "string", Description: "the access key"},
				{Name: "bucket", Type: "string", Description: "the bucket"}}}},
	}
}

// S3KeyRequest is the body of POST /s3/keys.
type S3KeyRequest struct {
	Label string `json:"label"`
	// CanCreateBuckets lets the key create buckets (a new vault it gets every op on).
	CanCreateBuckets bool `json:"can_create_buckets"`
}

// S3KeyCreated answers POST /s3/keys: the key and, this once, its secret.
type S3KeyCreated struct {
	messages.S3Key
	SecretAccessKey string `json:"secret_access_key"`
}

// S3KeyListReply is the body of GET /s3/keys.
type S3KeyListReply struct {
	Keys []messages.S3Key `json:"keys"`
}

// S3GrantListReply is the body of GET /s3/permissions.
type S3GrantListReply struct {
	Permissions []messages.S3Grant `json:"permissions"`
}

func (s *S3Keys) listKeys(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.S3KeyList](r.Context(), s.Actors, s.Keys, messages.S3KeysID, messages.ListS3Keys{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list.Keys == nil {
		list.Keys = []messages.S3Key{}
	}
	WriteJSON(w, http.StatusOK, S3KeyListReply{Keys: list.Keys})
}

func (s *S3Keys) createKey(w http.ResponseWriter, r *http.Request) {
	var req S3KeyRequest
	if err := decodeOptional(w, r, &req); err != nil { // no body: a key without a label
		WriteError(w, r, err)
		return
	}
	if s.Sealer == nil {
		WriteError(w, r, fmt.Errorf("%w: no master key to seal the secret", messages.ErrUnavailable))
		return
	}
	id, secret := NewS3KeyID(), NewS3Secret()
	sealed, err := s.Sealer.Seal(messages.S3KeyPurpose(id), []byte(secret))
	if err != nil {
		WriteError(w, r, fmt.Errorf("seal the S3 secret: %w", err))
		return
	}
	key, err := ask[messages.S3Key](r.Context(), s.Actors, s.Keys, messages.S3KeysID,
		messages.CreateS3Key{ID: id, Label: req.Label, SealedSecret: sealed, CanCreateBuckets: req.CanCreateBuckets})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusCreated, S3KeyCreated{S3Key: key, SecretAccessKey: secret})
}

func (s *S3Keys) deleteKey(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "key_id")
	if _, err := ask[messages.S3KeyDeleted](r.Context(), s.Actors, s.Keys, messages.S3KeysID, messages.DeleteS3Key{ID: id}); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *S3Keys) listGrants(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("key_id")
	list, err := ask[messages.S3GrantList](r.Context(), s.Actors, s.Keys, messages.S3KeysID, messages.ListS3Grants{KeyID: id})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list.Grants == nil {
		list.Grants = []messages.S3Grant{}
	}
	WriteJSON(w, http.StatusOK, S3GrantListReply{Permissions: list.Grants})
}

func (s *S3Keys) putGrant(w http.ResponseWriter, r *http.Request) {
	var req messages.S3Grant
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	g, err := s.Grant(r.Context(), messages.GrantS3(req))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, g)
}

func (s *S3Keys) deleteGrant(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := messages.RevokeS3{KeyID: q.Get("key_id"), Bucket: q.Get("bucket")}
	if req.KeyID == "" && req.Bucket == "" && r.ContentLength != 0 {
		if err := DecodeJSON(w, r, &req, 0); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	switch {
	case req.KeyID == "":
		WriteError(w, r, messages.Invalid("key_id", "is required"))
		return
	case req.Bucket == "":
		WriteError(w, r, messages.Invalid("bucket", "is required"))
		return
	}
	if _, err := ask[messages.S3Grant](r.Context(), s.Actors, s.Keys, messages.S3KeysID, req); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Lookup asks for what the S3 gateway needs about access key id: its sealed secret, whether it
// may create buckets, and its grants (ErrNotFound for an unknown key).
func (s *S3Keys) Lookup(ctx context.Context, id string) (messages.S3KeyAccess, error) {
	return ask[messages.S3KeyAccess](ctx, s.Actors, s.Keys, messages.S3KeysID, messages.LookupS3Key{ID: id})
}

// Grant sets the ops of a key on a bucket, as PUT /s3/permissions does; the S3 gateway's
// CreateBucket grants every op to the key that created the bucket.
func (s *S3Keys) Grant(ctx context.Context, g messages.GrantS3) (messages.S3Grant, error) {
	return ask[messages.S3Grant](ctx, s.Actors, s.Keys, messages.S3KeysID, g)
}

// Alphabets of the generated credentials: ids as AWS's (upper-case letters and digits), secrets
// of letters and digits only, so no client or shell needs to escape them.
const (
	s3IDAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	s3SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	s3IDPrefix       = "MH"
)

// NewS3KeyID returns a fresh access key id: "MH" and 18 random upper-case letters and digits.
func NewS3KeyID() string {
	return s3IDPrefix + randomString(s3IDAlphabet, messages.S3KeyIDLen-len(s3IDPrefix))
}

// NewS3Secret returns a fresh 40-character secret access key (about 238 random bits).
func NewS3Secret() string { return randomString(s3SecretAlphabet, messages.S3SecretLen) }

// randomString draws n characters of alphabet uniformly from crypto/rand.
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	limit := 256 - 256%len(alphabet) // rejection sampling keeps the draw uniform
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (it panics on a broken system)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
