package api

import (
	"fmt"
	"net/http"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// CreateVaultRequest is POST /vaults.
type CreateVaultRequest struct {
	Name              string            `json:"name"`
	ReplicationFactor int               `json:"replication_factor,omitempty"`
	HardQuota         int64             `json:"hard_quota,omitempty"`
	KeepVersions      int               `json:"keep_versions,omitempty"`
	KeepDeletedFor    messages.Duration `json:"keep_deleted_for,omitempty"`
	Password          messages.Secret   `json:"password,omitempty"`
	Path              string            `json:"path,omitempty"`
	Roles             []string          `json:"roles,omitempty"`
}

// Check validates the request's shape; the registry checks names and policy too.
func (c CreateVaultRequest) Check() error {
	if err := Required("name", c.Name); err != nil {
		return err
	}
	if c.Password.IsSet() && len(c.Password.Reveal()) < 8 {
		return messages.Invalid("password", "at least 8 characters")
	}
	return c.policy().Check()
}

func (c CreateVaultRequest) policy() messages.VaultPolicy {
	return messages.VaultPolicy{ReplicationFactor: c.ReplicationFactor, HardQuota: c.HardQuota,
		KeepVersions: c.KeepVersions, KeepDeletedForMs: msOf(c.KeepDeletedFor)}
}

func (v *Vaults) create(w http.ResponseWriter, r *http.Request) {
	var req CreateVaultRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	id := newVaultID()
	key := vaultcrypt.NewKey()
	cmd := messages.CreateVault{ID: id, Name: req.Name, Folder: req.Path, Roles: req.Roles, Policy: req.policy()}
	var err error
	if req.Password.IsSet() {
		cmd.Wrap, err = wrapKey(key, req.Password.Reveal())
	} else if v.Sealer == nil {
		err = fmt.Errorf("%w: no master key to seal the vault key", messages.ErrUnavailable)
	} else {
		cmd.SealedKey, err = v.Sealer.Seal(messages.VaultKeyPurpose(id), key[:])
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	meta, err := v.registry(r.Context(), cmd)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if cmd.Wrap != nil { // its creator holds the key: the vault starts unlocked until lock or restart
		if _, err := ask[messages.VaultStatus](r.Context(), v.Actors, v.Vault, id, messages.UnlockVault{Key: key}); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	st, err := v.status(r.Context(), id)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if v.Decls != nil {
		if err := v.Decls.Declare(r.Context(), meta, st.Policy); err != nil {
			WriteError(w, r, fmt.Errorf("vault %s created, but config.yaml was not updated: %w", id, err))
			return
		}
	}
	WriteJSON(w, http.StatusCreated, vaultJSON(meta, st))
}

// wrapKey wraps key with a key derived from password (argon2id, a fresh salt).
func wrapKey(key messages.VaultKey, password string) (*messages.KeyWrap, error) {
	salt := vaultcrypt.NewSalt()
	kek, err := vaultcrypt.DeriveKEK(password, salt, vaultcryptCosts)
	if err != nil {
		return nil, err
	}
	c := vaultcryptCosts
	return &messages.KeyWrap{Salt: salt, Time: c.Time, MemoryKiB: c.MemoryKiB, Threads: c.Threads, Wrapped: vaultcrypt.WrapKey(kek, key)}, nil
}

// PatchVaultRequest is PATCH /vaults/:id: the fields present change.
type PatchVaultRequest struct {
	Name              *string            `json:"name,omitempty"`
	ReplicationFactor *int               `json:"replication_factor,omitempty"`
	HardQuota         *int64             `json:"hard_quota,omitempty"`
	KeepVersions      *int               `json:"keep_versions,omitempty"`
	KeepDeletedFor    *messages.Duration `json:"keep_deleted_for,omitempty"`
	Roles             *[]string          `json:"roles,omitempty"`
}

func (v *Vaults) patch(w http.ResponseWriter, r *http.Request) {
	id := routeID(r)
	var req PatchVaultRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.Name != nil || req.Roles != nil {
		if _, err := v.registry(r.Context(), messages.UpdateVaultMeta{ID: id, Name: req.Name, Roles: req.Roles}); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	if req.ReplicationFactor != nil || req.HardQuota != nil || req.KeepVersions != nil || req.KeepDeletedFor != nil {
		p := messages.SetPolicy{ReplicationFactor: req.ReplicationFactor, HardQuota: req.HardQuota, KeepVersions: req.KeepVersions}
		if req.KeepDeletedFor != nil {
			ms := msOf(*req.KeepDeletedFor)
			p.KeepDeletedForMs = &ms
		}
		if _, err := ask[messages.VaultPolicy](r.Context(), v.Actors, v.Vault, id, p); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	j, err := v.lookup(r.Context(), id)
	// config.yaml declares trusted vaults only: a declared id gets a fresh key at the next start.
	if err == nil && v.Decls != nil && req.Name != nil && !j.Untrusted {
		err = v.Decls.Declare(r.Context(), j.VaultMeta, j.Policy)
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, j)
}

func (v *Vaults) remove(w http.ResponseWriter, r *http.Request) {
	id := routeID(r)
	meta, err := v.registry(r.Context(), messages.GetVaultMeta{ID: id})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if _, err := ask[messages.VaultDeleted](r.Context(), v.Actors, v.Registry, messages.RegistryID, messages.DeleteVault{ID: id}); err != nil {
		WriteError(w, r, err)
		return
	}
	if _, err := ask[messages.VaultPurge](r.Context(), v.Actors, v.Vault, id, messages.PurgeVault{}); err != nil {
		WriteError(w, r, err)
		return
	}
	if v.Decls != nil && !meta.Untrusted { // config.yaml declares trusted vaults only
		if err := v.Decls.Forget(r.Context(), id); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (v *Vaults) lock(w http.ResponseWriter, r *http.Request) {
	if _, err := ask[messages.VaultStatus](r.Context(), v.Actors, v.Vault, routeID(r), messages.LockVault{}); err != nil {
		WriteError(w, r, err)
		return
	}
	j, err := v.lookup(r.Context(), routeID(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, j)
}

// UnlockReply is POST /vaults/unlock: the vaults the password opened.
type UnlockReply struct {
	Unlocked []string `json:"unlocked"`
}

// unlock tries the password against every locked vault; a password that opens none counts
// towards the caller's login lockout, and a locked-out caller is refused before any hashing.
func (v *Vaults) unlock(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	ip := clientIP(r)
	if _, err := ask[messages.AttemptAllowed](r.Context(), v.Actors, v.Auth, messages.AuthID, messages.CheckAttempt{IP: ip}); err != nil {
		WriteError(w, r, err)
		return
	}
	list, err := ask[messages.VaultList](r.Context(), v.Actors, v.Registry, messages.RegistryID, messages.ListVaults{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := UnlockReply{Unlocked: []string{}}
	for _, m := range list.Vaults {
		if m.Wrap == nil {
			continue
		}
		key, ok := unwrap(m.Wrap, req.Password)
		if !ok {
			continue
		}
		if _, err := ask[messages.VaultStatus](r.Context(), v.Actors, v.Vault, m.ID, messages.UnlockVault{Key: key}); err != nil {
			WriteError(w, r, err)
			return
		}
		reply.Unlocked = append(reply.Unlocked, m.ID)
	}
	if len(reply.Unlocked) == 0 {
		_, err := ask[messages.AttemptAllowed](r.Context(), v.Actors, v.Auth, messages.AuthID, messages.AttemptFailed{IP: ip, What: "vault_unlock"})
		if err == nil {
			err = fmt.Errorf("%w: the password opens no locked vault", messages.ErrForbidden)
		}
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, reply)
}

// unwrap derives the key-encryption key of w from password and opens the vault key.
func unwrap(w *messages.KeyWrap, password string) (messages.VaultKey, bool) {
	kek, err := vaultcrypt.DeriveKEK(password, w.Salt, vaultcrypt.KDFCosts{Time: w.Time, MemoryKiB: w.MemoryKiB, Threads: w.Threads})
	if err != nil {
		return messages.VaultKey{}, false
	}
	key, err := vaultcrypt.UnwrapKey(kek, w.Wrapped)
	return key, err == nil
}

// AliasRequest is PUT /vaults/:id/s3-alias.
type AliasRequest struct {
	Alias string `json:"alias"`
}

func (v *Vaults) alias(w http.ResponseWriter, r *http.Request) {
	var req AliasRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if _, err := v.registry(r.Context(), messages.SetAlias{ID: routeID(r), Alias: req.Alias}); err != nil {
		WriteError(w, r, err)
		return
	}
	j, err := v.lookup(r.Context(), routeID(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, j)
}

func (v *Vaults) analytics(w http.ResponseWriter, r *http.Request) {
	days := 0
	if s := r.URL.Query().Get("days"); s != "" {
		if _, err := fmt.Sscanf(s, "%d", &days); err != nil || days < 1 || days > 366 {
			WriteError(w, r, messages.Invalid("days", "a whole number from 1 to 366"))
			return
		}
	}
	a, err := ask[messages.VaultAnalytics](r.Context(), v.Actors, v.Vault, routeID(r), messages.GetAnalytics{Days: days})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, a)
}

// ScrubReply is POST /vaults/:id/scrub: the pass is queued (202); GET /vaults/:id/info shows
// its result as a last_scrub newer than LastScrub.
type ScrubReply struct {
	VaultID   string                `json:"vault_id"`
	Queued    bool                  `json:"queued"`
	LastScrub *messages.ScrubRecord `json:"last_scrub"`
}

// scrub queues a scrub pass of the vault: every referenced block re-read, verified, and
// repaired from a holder when missing or damaged (docs/replication.md).
func (v *Vaults) scrub(w http.ResponseWriter, r *http.Request) {
	id := routeID(r)
	if v.Scrub == nil {
		WriteError(w, r, fmt.Errorf("%w: no scrubber runs on this node", messages.ErrUnavailable))
		return
	}
	st, err := v.status(r.Context(), id)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if err := v.Scrub(id); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, ScrubReply{VaultID: id, Queued: true, LastScrub: st.LastScrub})
}
