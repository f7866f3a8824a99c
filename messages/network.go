package messages

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// NetworkKind and NetworkSelf name the node's networks actor: entity networks/self.
const (
	NetworkKind = "networks"
	NetworkSelf = "self"
)

// NetworkKeyPurpose is the keyring purpose a saved network's swarm key is sealed for.
const NetworkKeyPurpose = "network/swarm_key"

// Limits of the saved networks.
const (
	MaxNetworks           = 64   // saved networks
	MaxNetworkName        = 200  // bytes of UTF-8, as in a join URL
	MaxBootstrap          = 64   // bootstrap addresses of one network
	MaxBootstrapAddr      = 1024 // bytes of one bootstrap multiaddr
	MaxPendingRotations   = 32   // key rotations held for the operator
	MaxRotationSenders    = 16   // peers remembered as having pushed one held rotation
	maxSealedKey          = 256  // bytes of a sealed swarm key (32 + the keyring's overhead)
	networkFingerprintLen = 16   // hex characters of swarmkey.Key.Fingerprint
)

// How a network arrived, and who changed it (Network.Source, NetworkChanged.Via).
const (
	ViaConfig = "config" // config.yaml's swarm_key and bootstrap_peers, imported at start
	ViaJoin   = "join"   // POST /networks with a join URL
	ViaCreate = "create" // POST /networks/create minted its key
	ViaAPI    = "api"    // another route of the API
	ViaPeer   = "peer"   // a peer pushed a new key
)

// SealedKey is a swarm key sealed with the node's keyring for NetworkKeyPurpose, with the
// fingerprint of the plain key (swarmkey.Key.Fingerprint), which is the network's id. The
// networks actor never sees a plain key; actors/network.SealKey and OpenKey convert. It
// redacts itself everywhere (with at-rest protection off, Sealed is the plain key).
type SealedKey struct {
	Fingerprint string
	Sealed      []byte
}

// IsZero reports whether no key is present.
func (k SealedKey) IsZero() bool { return k.Fingerprint == "" && len(k.Sealed) == 0 }

// String shows the fingerprint only.
func (k SealedKey) String() string { return "[sealed swarm key " + k.Fingerprint + "]" }

// GoString redacts %#v.
func (k SealedKey) GoString() string { return "messages.SealedKey(" + strconv.Quote(k.String()) + ")" }

// Format redacts every fmt verb.
func (k SealedKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue redacts slog records.
func (k SealedKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON redacts JSON.
func (k SealedKey) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(k.String())), nil }

// MarshalText redacts YAML and other text encodings.
func (k SealedKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Check refuses a key that is missing or whose fingerprint is not 16 lowercase hex characters.
func (k SealedKey) Check(field string) error {
	switch {
	case len(k.Sealed) == 0:
		return Invalid(field, "is required")
	case len(k.Sealed) > maxSealedKey:
		return Invalid(field, "sealed key is %d bytes, at most %d", len(k.Sealed), maxSealedKey)
	case len(k.Fingerprint) != networkFingerprintLen || strings.Trim(k.Fingerprint, "0123456789abcdef") != "":
		return Invalid(field, "fingerprint must be %d lowercase hex characters", networkFingerprintLen)
	}
	return nil
}

// Network is one saved network: a swarm key and the peers to dial first. Its ID is the key's
// fingerprint, so the same key saved twice is the same network and every node of a mesh calls
// it by the same id; rotating the key changes the id (PreviousID keeps the old one). The key
// is sealed and redacted; the API returns it only from GET /networks/:id/key.
type Network struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Key        SealedKey `json:"key"`
	Bootstrap  []string  `json:"bootstrap"`
	Active     bool      `json:"active"`
	Source     string    `json:"source"`   // ViaConfig, ViaJoin or ViaCreate
	Declared   bool      `json:"declared"` // config.yaml's swarm_key is (or was, before a rotation) its key
	CreatedMs  int64     `json:"created_at_ms"`
	UpdatedMs  int64     `json:"updated_at_ms"`
	RotatedMs  int64     `json:"rotated_at_ms"`
	PreviousID string    `json:"previous_id"`
}

// String names the network without its key.
func (n Network) String() string { return fmt.Sprintf("network %s (%q)", n.ID, n.Name) }

// LogValue names the network without its key in slog records.
func (n Network) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", n.ID), slog.String("name", n.Name))
}

// ListNetworks asks for every saved network.
type ListNetworks struct{}

// NetworkList answers ListNetworks: by name (case folded), then id. ActiveID is "" when no
// network is active; Offline tells an operator's choice to be offline from a store that never
// had an active network.
type NetworkList struct {
	Networks []Network
	ActiveID string
	Offline  bool
}

// GetNetwork asks for one network; ErrNotFound when there is none.
type GetNetwork struct{ ID string }

// AddNetwork saves a network whose key exists already (POST /networks, from a join URL).
// Bootstrap addresses come canonical from the caller; ErrConflict when the key is saved.
type AddNetwork struct {
	Name      string
	Key       SealedKey
	Bootstrap []string
}

// CreateNetwork saves a network on a key the caller minted (POST /networks/create).
type CreateNetwork struct {
	Name string
	Key  SealedKey
}

// NetworkAdded answers AddNetwork and CreateNetwork.
type NetworkAdded struct{ Network Network }

// DeleteNetwork forgets a network. Connected says the mesh runs on it now: the active network
// cannot be deleted while connected (ErrConflict).
type DeleteNetwork struct {
	ID        string
	Connected bool
}

// NetworkDeleted answers DeleteNetwork; WasActive says the node is now without a network.
type NetworkDeleted struct {
	ID        string
	WasActive bool
}

// SetActive makes a network the one the node runs on (POST /networks/:id/connect).
type SetActive struct{ ID string }

// NetworkActivated answers SetActive; PreviousID is the network left ("" when none).
type NetworkActivated struct {
	Network    Network
	PreviousID string
}

// ClearActive leaves the active network: the node is offline until one is chosen
// (POST /networks/disconnect). The choice is remembered across restarts.
type ClearActive struct{}

// NetworkDeactivated answers ClearActive; PreviousID is "" when none was active.
type NetworkDeactivated struct{ PreviousID string }

// AddPeers appends bootstrap addresses to a network, skipping those it has.
type AddPeers struct {
	ID    string
	Addrs []string
}

// SetBootstrap replaces a network's bootstrap addresses.
type SetBootstrap struct {
	ID    string
	Addrs []string
}

// NetworkUpdated answers AddPeers and SetBootstrap; Added counts the new addresses.
type NetworkUpdated struct {
	Network Network
	Added   int
}

// RotateKey replaces a network's swarm key (POST /networks/:id/swarm-key, or a peer's push the
// node applies at once). The network's id becomes the new key's fingerprint. From is the peer
// that pushed it ("" for the API).
type RotateKey struct {
	ID     string
	NewKey SealedKey
	From   string
}

// KeyRotated answers RotateKey and AcceptRotation: the network under its new id.
type KeyRotated struct {
	Network    Network
	PreviousID string
}

// ImportDeclared imports config.yaml's swarm_key and bootstrap_peers at start: saved as a
// network (name Name, or a default) unless its key is saved already, in which case its
// bootstrap list is replaced by the declared one; made active when none is, unless the
// operator chose to be offline and the network was saved before.
type ImportDeclared struct {
	Name      string
	Key       SealedKey
	Bootstrap []string
}

// NetworkImported answers ImportDeclared. Moved says the declared key was rotated away: the
// network is its successor, whose key config.yaml no longer has.
type NetworkImported struct {
	Network   Network
	Created   bool
	Activated bool
	Moved     bool
}

// PendingRotation is a new key a peer that is not a contact pushed for a saved network; it
// waits for the operator. Its ID is the new key's fingerprint.
type PendingRotation struct {
	ID          string    `json:"id"`
	NetworkID   string    `json:"network_id"`
	NetworkName string    `json:"network_name"`
	Key         SealedKey `json:"key"`
	From        []string  `json:"from"`
	ReceivedMs  int64     `json:"received_at_ms"`
}

// HoldRotation keeps a pushed key for the operator. ErrNotFound when NetworkID is not saved;
// holding the same key again adds From to its senders.
type HoldRotation struct {
	From      string
	NetworkID string
	NewKey    SealedKey
}

// RotationHeld answers HoldRotation; New is false when the key was held already.
type RotationHeld struct {
	Rotation PendingRotation
	New      bool
}

// ListPendingRotations asks for the held rotations.
type ListPendingRotations struct{}

// PendingRotations answers ListPendingRotations, oldest first.
type PendingRotations struct{ Rotations []PendingRotation }

// AcceptRotation applies a held rotation, as RotateKey; it answers KeyRotated.
type AcceptRotation struct{ ID string }

// RefuseRotation drops a held rotation.
type RefuseRotation struct{ ID string }

// RotationRefused answers RefuseRotation.
type RotationRefused struct{ ID string }

// NetworkChanged is the data of the networks actor's events: network_added, network_updated
// (Fields), network_removed, network_activated and network_deactivated (PreviousID: the
// network left), swarm_key_rotated (PreviousID: the old id; From: the peer that pushed it),
// swarm_key_rotation_pending and swarm_key_rotation_refused (RotationID, From). Keys never
// appear in events.
type NetworkChanged struct {
	NetworkID  string   `json:"network_id"`
	Name       string   `json:"name,omitempty"`
	Fields     []string `json:"fields,omitempty"`
	Via        string   `json:"via,omitempty"`
	PreviousID string   `json:"previous_id,omitempty"`
	RotationID string   `json:"rotation_id,omitempty"`
	From       string   `json:"from,omitempty"`
}

// CheckNetworkName checks a network name: at most MaxNetworkName bytes of UTF-8, no control
// characters; empty is allowed (a default is used).
func CheckNetworkName(field, s string) error {
	if len(s) > MaxNetworkName {
		return Invalid(field, "is %d bytes, at most %d", len(s), MaxNetworkName)
	}
	return CheckName(field, s, MaxNetworkName, false)
}
