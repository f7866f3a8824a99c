package network

import (
	"fmt"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Sealer seals and opens secrets for a purpose with the node's master key; *keyring.Keyring is
// one (with at-rest protection off it passes bytes through).
type Sealer interface {
	Seal(purpose string, plaintext []byte) ([]byte, error)
	Open(purpose string, sealed []byte) ([]byte, error)
}

// SealKey seals k for the networks actor (purpose messages.NetworkKeyPurpose) and labels it
// with its fingerprint, which becomes the network's id.
func SealKey(s Sealer, k swarmkey.Key) (messages.SealedKey, error) {
	if s == nil {
		return messages.SealedKey{}, fmt.Errorf("%w: no keyring to seal the swarm key with", messages.ErrUnavailable)
	}
	sealed, err := s.Seal(messages.NetworkKeyPurpose, k.Bytes())
	if err != nil {
		return messages.SealedKey{}, fmt.Errorf("network: seal swarm key %s: %w", k.Fingerprint(), err)
	}
	return messages.SealedKey{Fingerprint: k.Fingerprint(), Sealed: sealed}, nil
}

// OpenKey opens a sealed key and checks it is the key its fingerprint names, so a record
// cannot carry another network's key.
func OpenKey(s Sealer, sk messages.SealedKey) (swarmkey.Key, error) {
	if s == nil {
		return swarmkey.Key{}, fmt.Errorf("%w: no keyring to open the swarm key with", messages.ErrUnavailable)
	}
	plain, err := s.Open(messages.NetworkKeyPurpose, sk.Sealed)
	if err != nil {
		return swarmkey.Key{}, fmt.Errorf("network: open swarm key %s: %w", sk.Fingerprint, err)
	}
	k, err := swarmkey.FromBytes(plain)
	clear(plain)
	if err != nil {
		return swarmkey.Key{}, fmt.Errorf("network: open swarm key %s: %w", sk.Fingerprint, err)
	}
	if k.Fingerprint() != sk.Fingerprint {
		return swarmkey.Key{}, fmt.Errorf("network: the sealed swarm key is %s, not %s", k.Fingerprint(), sk.Fingerprint)
	}
	return k, nil
}
