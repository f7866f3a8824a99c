package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// VaultDecls keeps config.yaml's `vaults` list in step with the vaults the API creates and
// deletes (the declarations: id, name, folder, initial policy — never keys).
type VaultDecls interface {
	Declare(ctx context.Context, m messages.VaultMeta, p messages.VaultPolicy) error
	Forget(ctx context.Context, id string) error
}

// Vaults serves the vaults theme: vault CRUD, lock/unlock, analytics, S3 alias, and the files
// routes (vaults_files.go).
type Vaults struct {
	Actors   Actors
	Registry *host.Manager // vaults/registry
	Vault    *host.Manager // vault/<id>
	Auth     *host.Manager // auth/local: the unlock shares the login lockout budget
	Sealer   Sealer        // seals new vault keys with the master key
	Decls    VaultDecls
	Files    *FileDeps // the byte side of uploads and downloads
	// NodeID authors the versions this node writes.
	NodeID string
}

// VaultJSON is one vault as GET /vaults and GET /vaults/:id show it.
type VaultJSON struct {
	messages.VaultMeta
	KeyState          string               `json:"key_state"` // "trusted" or "locked"
	ReplicationFactor int                  `json:"replication_factor"`
	Bytes             int64                `json:"bytes"`
	Files             int64                `json:"files"`
	PeerCount         int                  `json:"peer_count"`
	Policy            messages.VaultPolicy `json:"policy"`
	Usage             messages.VaultUsage  `json:"usage"`
}

// VaultListReply is GET /vaults.
type VaultListReply struct {
	Vaults []VaultJSON `json:"vaults"`
}

func (v *Vaults) registry(ctx context.Context, msg any) (messages.VaultMeta, error) {
	return ask[messages.VaultMeta](ctx, v.Actors, v.Registry, messages.RegistryID, msg)
}

func (v *Vaults) status(ctx context.Context, id string) (messages.VaultStatus, error) {
	return ask[messages.VaultStatus](ctx, v.Actors, v.Vault, id, messages.GetVault{})
}

// vaultJSON joins a vault's registry meta and its own status.
func vaultJSON(m messages.VaultMeta, st messages.VaultStatus) VaultJSON {
	state := "trusted"
	if st.Locked {
		state = "locked"
	}
	return VaultJSON{VaultMeta: m, KeyState: state, ReplicationFactor: st.Policy.ReplicationFactor,
		Bytes: st.Usage.Bytes, Files: st.Usage.Files, Policy: st.Policy, Usage: st.Usage}
}

func (v *Vaults) list(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.VaultList](r.Context(), v.Actors, v.Registry, messages.RegistryID, messages.ListVaults{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := VaultListReply{Vaults: []VaultJSON{}}
	for _, m := range list.Vaults {
		st, err := v.status(r.Context(), m.ID)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		reply.Vaults = append(reply.Vaults, vaultJSON(m, st))
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (v *Vaults) get(w http.ResponseWriter, r *http.Request) {
	j, err := v.lookup(r.Context(), chi.URLParam(r, "vault_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, j)
}

func (v *Vaults) lookup(ctx context.Context, id string) (VaultJSON, error) {
	m, err := v.registry(ctx, messages.GetVaultMeta{ID: id})
	if err != nil {
		return VaultJSON{}, err
	}
	st, err := v.status(ctx, id)
	if err != nil {
		return VaultJSON{}, err
	}
	return vaultJSON(m, st), nil
}

// VaultInfoReply is GET /vaults/:id/info: the vault, its effective policy and replica health.
type VaultInfoReply struct {
	VaultJSON
	Replicas ReplicaHealth `json:"replicas"`
}

// ReplicaHealth says how far the vault is from its replication factor. On a node without the
// mesh only this node holds its blocks.
type ReplicaHealth struct {
	Target          int    `json:"target"`
	ReliableHolders int    `json:"reliable_holders"`
	UnderReplicated bool   `json:"under_replicated"`
	Note            string `json:"note"`
}

func (v *Vaults) info(w http.ResponseWriter, r *http.Request) {
	j, err := v.lookup(r.Context(), chi.URLParam(r, "vault_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h := ReplicaHealth{Target: j.Policy.ReplicationFactor, ReliableHolders: 1}
	h.UnderReplicated = h.ReliableHolders < h.Target
	if h.UnderReplicated {
		h.Note = "only this node holds the vault: replication to other nodes needs the mesh"
	}
	WriteJSON(w, http.StatusOK, VaultInfoReply{VaultJSON: j, Replicas: h})
}

// newVaultID is 16 random hex characters.
func newVaultID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// msOf converts a duration field to ms (0 stays 0).
func msOf(d messages.Duration) int64 { return time.Duration(d).Milliseconds() }

func routeID(r *http.Request) string { return strings.TrimSpace(chi.URLParam(r, "vault_id")) }

// vaultcryptCosts are the argon2id costs new password vaults use.
var vaultcryptCosts = vaultcrypt.DefaultKDFCosts
