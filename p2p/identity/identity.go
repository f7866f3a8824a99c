// Package identity keeps the node's libp2p identity: an Ed25519 key created on first start,
// sealed with the master key and stored in bbolt, so the peer id survives restarts.
package identity

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Key is the identity record's key in persist.Meta.
const Key = "identity"

// sealPurpose binds the sealed key to its use.
const sealPurpose = "identity"

// Sealer seals and opens secrets with the node's master key (persist/keyring).
type Sealer interface {
	Seal(purpose string, plaintext []byte) ([]byte, error)
	Open(purpose string, sealed []byte) ([]byte, error)
}

// LoadOrCreate returns the node's identity, creating and committing it on first start.
func LoadOrCreate(store persist.Store, sealer Sealer, now time.Time) (crypto.PrivKey, peer.ID, error) {
	var rec storev1.Identity
	var found bool
	err := persist.ReadWith(store, func(v persist.View) error {
		b, ok := v.Get(persist.Meta, Key)
		if !ok {
			return nil
		}
		found = true
		return proto.Unmarshal(b, &rec)
	})
	if err != nil {
		return nil, "", fmt.Errorf("read identity: %w", err)
	}
	if found {
		return open(&rec, sealer)
	}
	return create(store, sealer, now)
}

func open(rec *storev1.Identity, sealer Sealer) (crypto.PrivKey, peer.ID, error) {
	raw, err := sealer.Open(sealPurpose, rec.GetSealedPrivateKey())
	if err != nil {
		return nil, "", fmt.Errorf("unseal identity: %w", err)
	}
	key, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, "", fmt.Errorf("decode identity: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("identity peer id: %w", err)
	}
	if rec.GetPeerId() != "" && rec.GetPeerId() != id.String() {
		return nil, "", fmt.Errorf("identity record says peer %s but its key is %s: the record is corrupt", rec.GetPeerId(), id)
	}
	return key, id, nil
}

func create(store persist.Store, sealer Sealer, now time.Time) (crypto.PrivKey, peer.ID, error) {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("generate identity: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("identity peer id: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("encode identity: %w", err)
	}
	sealed, err := sealer.Seal(sealPurpose, raw)
	if err != nil {
		return nil, "", fmt.Errorf("seal identity: %w", err)
	}
	rec, err := proto.Marshal(&storev1.Identity{SealedPrivateKey: sealed, PeerId: id.String(), CreatedMs: now.UnixMilli()})
	if err != nil {
		return nil, "", err
	}
	if err := store.Commit([]persist.Write{{Bucket: persist.Meta, Key: Key, Value: rec}}); err != nil {
		return nil, "", fmt.Errorf("save identity: %w", err)
	}
	return key, id, nil
}
