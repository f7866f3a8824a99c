package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
)

// VaultSharing serves the two routes that move a vault between nodes of one network: a share
// URL (the vault key and where the vault is held) and the join that adopts one.
type VaultSharing struct {
	Actors   Actors
	Registry *host.Manager // vaults/registry
	Vault    *host.Manager // vault/<id>: an untrusted copy is purged when the vault is joined
	Sealer   Sealer        // seals a joined vault's key with the master key
	// Key opens a vault's key for its share URL; nil answers 503.
	Key func(ctx context.Context, id string) (messages.VaultKey, error)
	// Peers is where this node is reachable in the mesh (the URL's peers); nil: none.
	Peers func() []string
	// Joined, if set, is told about a vault this node now holds (replication starts).
	Joined func(meta messages.VaultMeta, peers []string)
}

// ShareURLReply is GET /vaults/:id/share-url.
type ShareURLReply struct {
	URL     string   `json:"url"`
	VaultID string   `json:"vault_id"`
	Name    string   `json:"name"`
	Peers   []string `json:"peers"`
}

// JoinVaultRequest is POST /vaults/join.
type JoinVaultRequest struct {
	URL string `json:"url"`
}

// Routes lists the sharing routes.
func (s *VaultSharing) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/vaults/{vault_id}/share-url", Access: Bearer, Handler: s.shareURL,
			Doc: Doc{Summary: "A meshhold://vault/v1 URL holding the vault key and this node's addresses: a secret, for nodes that may read the vault", Response: ShareURLReply{}}},
		{Method: http.MethodPost, Pattern: "/vaults/join", Access: Bearer, Handler: s.join,
			Doc: Doc{Summary: "Hold a vault as a trusted node from its share URL (400 malformed, 409 already held)", Request: JoinVaultRequest{}, Response: messages.VaultMeta{}, Status: http.StatusCreated}},
	}
}

func (s *VaultSharing) shareURL(w http.ResponseWriter, r *http.Request) {
	id := routeID(r)
	meta, err := ask[messages.VaultMeta](r.Context(), s.Actors, s.Registry, messages.RegistryID, messages.GetVaultMeta{ID: id})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if meta.PasswordProtected {
		WriteError(w, r, fmt.Errorf("%w: vault %s is password-protected: its key exists only while unlocked; share the password with the vault's id instead", messages.ErrConflict, id))
		return
	}
	if s.Key == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "this daemon cannot open vault keys"))
		return
	}
	key, err := s.Key(r.Context(), id)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	v := joinurl.Vault{ID: id, Name: meta.Name, Key: key}
	if s.Peers != nil {
		v.Peers = s.Peers()
	}
	if err := v.Validate(); err != nil {
		WriteError(w, r, fmt.Errorf("build the share URL: %w", err))
		return
	}
	WriteJSON(w, http.StatusOK, ShareURLReply{URL: v.URL(), VaultID: id, Name: meta.Name, Peers: nonNilStrings(v.Peers)})
}

func (s *VaultSharing) join(w http.ResponseWriter, r *http.Request) {
	var req JoinVaultRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	v, err := joinurl.ParseVault(req.URL)
	if err != nil {
		WriteError(w, r, messages.Invalid("url", "%v", err))
		return
	}
	held, err := ask[messages.VaultMeta](r.Context(), s.Actors, s.Registry, messages.RegistryID, messages.GetVaultMeta{ID: v.ID})
	switch {
	case err == nil && held.Untrusted:
		// This node held the vault's ciphertext for the swarm; trusted now, it drops that copy
		// and pulls the vault again as a trusted node (the blocks it has are kept and reused).
		if err := s.dropUntrusted(r.Context(), v.ID); err != nil {
			WriteError(w, r, err)
			return
		}
	case err == nil:
		WriteError(w, r, fmt.Errorf("%w: this node already holds vault %s (%q)", messages.ErrConflict, v.ID, held.Name))
		return
	case !errors.Is(err, messages.ErrNotFound):
		WriteError(w, r, err)
		return
	}
	if s.Sealer == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "no master key to seal the vault key"))
		return
	}
	sealed, err := s.Sealer.Seal(messages.VaultKeyPurpose(v.ID), v.Key[:])
	if err != nil {
		WriteError(w, r, err)
		return
	}
	name := v.Name
	if name == "" {
		name = "vault " + v.ID
	}
	meta, err := s.create(r.Context(), messages.CreateVault{ID: v.ID, Name: name, SealedKey: sealed})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if s.Joined != nil {
		s.Joined(meta, v.Peers)
	}
	WriteJSON(w, http.StatusCreated, meta)
}

// dropUntrusted deletes this node's untrusted copy of a vault and starts its purge.
func (s *VaultSharing) dropUntrusted(ctx context.Context, id string) error {
	if _, err := ask[messages.VaultDeleted](ctx, s.Actors, s.Registry, messages.RegistryID, messages.DeleteVault{ID: id}); err != nil {
		return fmt.Errorf("drop the untrusted copy of vault %s: %w", id, err)
	}
	if _, err := ask[messages.VaultPurge](ctx, s.Actors, s.Vault, id, messages.PurgeVault{}); err != nil {
		return fmt.Errorf("purge the untrusted copy of vault %s: %w", id, err)
	}
	return nil
}

// create creates the vault, waiting (up to 30 s) while the purge of an untrusted copy of it
// finishes.
func (s *VaultSharing) create(ctx context.Context, cmd messages.CreateVault) (messages.VaultMeta, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		meta, err := ask[messages.VaultMeta](ctx, s.Actors, s.Registry, messages.RegistryID, cmd)
		if err == nil || !errors.Is(err, messages.ErrConflict) || !strings.Contains(err.Error(), "being purged") || time.Now().After(deadline) {
			return meta, err
		}
		select {
		case <-ctx.Done():
			return meta, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
