package main

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/profile"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// importDeclarations writes what config.yaml declares into the store, where it wins over what
// the daemon saved before: a hand edit takes effect at the next start. Later domains (vaults,
// networks, webhooks, forwards) import their declarations here too.
func importDeclarations(store persist.Store, c Config) error {
	want := &storev1.NodeInfo{Name: c.Node.Name, Reliable: c.Node.Reliable}
	var have storev1.NodeInfo
	err := persist.ReadWith(store, func(v persist.View) error {
		if b, ok := v.Get(persist.Meta, profile.InfoKey); ok {
			return proto.Unmarshal(b, &have)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read node info: %w", err)
	}
	if proto.Equal(want, &have) {
		return nil
	}
	rec, err := proto.Marshal(want)
	if err != nil {
		return err
	}
	return store.Commit([]persist.Write{{Bucket: persist.Meta, Key: profile.InfoKey, Value: rec}})
}
