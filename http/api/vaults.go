package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
	// Replicas lists the nodes holding a vault: this node when it holds it, then the peers of
	// the directory that list it (nil: this node alone, as without the mesh).
	Replicas func(ctx context.Context, vaultID string) []Replica
	// Scrub queues a scrub pass of the vault now (nil: no scrubber, POST …/scrub is 503).
	Scrub func(vaultID string) error
	// HoldNote, if set, says why this node's holding of an untrusted vault is paused (its
	// storage budget); "" when it is not.
	HoldNote func(vaultID string) string
}

// VaultJSON is one vault as GET /vaults and GET /vaults/:id show it.
type VaultJSON struct {
	messages.VaultMeta
	KeyState          string               `json:"key_state"` // "trusted", "locked" or "untrusted" (no key on this node)
	ReplicationFactor int                  `json:"replication_factor"`
	Bytes             int64                `json:"bytes"`
	Files             int64                `json:"files"`
	PeerCount         int                  `json:"peer_count"` // connected peers holding it
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

// vaultJSON joins a vault's registry meta and its own status. An untrusted vault is
// "untrusted", not "locked": no password opens it here.
func vaultJSON(m messages.VaultMeta, st messages.VaultStatus) VaultJSON {
	state := "trusted"
	switch {
	case st.Untrusted || m.Untrusted:
		state = "untrusted"
	case st.Locked:
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
		j := vaultJSON(m, st)
		j.PeerCount = peerCount(v.replicas(r.Context(), j))
		reply.Vaults = append(reply.Vaults, j)
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
	j := vaultJSON(m, st)
	j.PeerCount = peerCount(v.replicas(ctx, j))
	return j, nil
}

// replicas lists the nodes holding the vault: Replicas' answer, or this node alone when it
// holds the vault (trusted, or untrusted with the hold role).
func (v *Vaults) replicas(ctx context.Context, j VaultJSON) []Replica {
	if v.Replicas != nil {
		if list := v.Replicas(ctx, j.ID); list != nil {
			return list
		}
		return []Replica{}
	}
	if j.Untrusted && !j.Hold {
		return []Replica{}
	}
	return []Replica{v.self()}
}

// self is this node as a replica.
func (v *Vaults) self() Replica {
	return Replica{PeerID: v.NodeID, DisplayName: "this node", Self: true, Reliable: true, Connected: true}
}

// peerCount counts the connected peers among replicas.
func peerCount(replicas []Replica) int {
	n := 0
	for _, r := range replicas {
		if !r.Self && r.Connected {
			n++
		}
	}
	return n
}

// VaultInfoReply is GET /vaults/:id/info: the vault, its effective policy, replica health, the
// last scrub of its blocks on this node and the last pull that brought it something.
type VaultInfoReply struct {
	VaultJSON
	Replicas  ReplicaHealth         `json:"replicas"`
	LastScrub *messages.ScrubRecord `json:"last_scrub"` // null: never scrubbed on this node
	LastPull  *messages.PullRecord  `json:"last_pull"`  // null: nothing pulled since it was created or observed
}

// ReplicaHealth says how far the vault is from its replication factor: the reliable nodes
// holding it now (this node, and connected peers whose info lists it) against the target. An
// untrusted vault's target is unknown here (0): its policy is sealed.
type ReplicaHealth struct {
	Target          int       `json:"target"`
	ReliableHolders int       `json:"reliable_holders"`
	UnderReplicated bool      `json:"under_replicated"`
	Note            string    `json:"note"`
	Nodes           []Replica `json:"nodes"`
}

func (v *Vaults) info(w http.ResponseWriter, r *http.Request) {
	j, err := v.lookup(r.Context(), chi.URLParam(r, "vault_id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	st, err := v.status(r.Context(), j.ID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	rh := health(j.Policy.ReplicationFactor, v.replicas(r.Context(), j))
	if v.HoldNote != nil {
		if note := v.HoldNote(j.ID); note != "" {
			rh.Note = note
		}
	}
	WriteJSON(w, http.StatusOK, VaultInfoReply{VaultJSON: j, Replicas: rh, LastScrub: st.LastScrub, LastPull: st.LastPull})
}

// health counts the reliable holders reachable now against target.
func health(target int, nodes []Replica) ReplicaHealth {
	h := ReplicaHealth{Target: target, Nodes: nodes}
	for _, n := range nodes {
		if n.Reliable && (n.Self || n.Connected) {
			h.ReliableHolders++
		}
	}
	h.UnderReplicated = h.ReliableHolders < h.Target
	switch {
	case h.UnderReplicated && h.ReliableHolders <= 1 && len(nodes) <= 1:
		h.Note = "only this node holds the vault: replication to other nodes needs the mesh and peers that hold it"
	case h.UnderReplicated:
		h.Note = fmt.Sprintf("%d of the %d reliable nodes the replication factor asks for hold the vault now", h.ReliableHolders, h.Target)
	}
	return h
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
