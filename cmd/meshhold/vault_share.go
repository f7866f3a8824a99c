package main

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// vaultSharing builds the share-url and join routes on the daemon's registry and keyring.
func (d *daemon) vaultSharing() *api.VaultSharing {
	return &api.VaultSharing{Actors: d.system.Actors, Registry: d.registry, Vault: d.vaultMgr, Sealer: d.keys, Key: d.vaultKey,
		Peers: func() []string {
			if st := d.mesh.State(); st.State == api.MeshConnected {
				return st.ListenAddrs
			}
			return nil
		}}
}

// vaultKey opens a vault's key from its registry record (a password vault has none sealed).
func (d *daemon) vaultKey(_ context.Context, id string) (messages.VaultKey, error) {
	var key messages.VaultKey
	err := persist.ReadWith(d.store, func(v persist.View) error {
		raw, ok := v.Get(persist.Vaults, id)
		if !ok {
			return messages.NotFound("vault")
		}
		meta := &storev1.VaultMeta{}
		if err := proto.Unmarshal(raw, meta); err != nil {
			return fmt.Errorf("vault %s: registry record: %w", id, err)
		}
		if len(meta.SealedKey) == 0 {
			return fmt.Errorf("%w: vault %s has no sealed key", messages.ErrConflict, id)
		}
		plain, err := d.keys.Open(messages.VaultKeyPurpose(id), meta.SealedKey)
		if err != nil {
			return fmt.Errorf("open the key of vault %s: %w", id, err)
		}
		if len(plain) != len(key) {
			return fmt.Errorf("vault %s: key of %d bytes", id, len(plain))
		}
		copy(key[:], plain)
		return nil
	})
	return key, err
}
