package profile

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// InfoKey is the NodeInfo record in persist.Meta: what config.yaml's node section declares,
// written by the daemon at each start before the actors run. The core never writes it.
const InfoKey = messages.ProfileKind + "/" + messages.ProfileID + "/info"

// Load builds the profile core of the node whose peer id is nodeID from its records: the
// profile (bucket persist.Profile, key = the entity) and the NodeInfo config declares. When
// config's name differs from the one imported last, it becomes the display name.
func Load(nodeID string) host.Load {
	return func(entity string, v persist.View) (host.Core, error) {
		var info storev1.NodeInfo
		if err := get(v, persist.Meta, InfoKey, &info); err != nil {
			return nil, err
		}
		rec := &storev1.Profile{}
		if err := get(v, persist.Profile, entity, rec); err != nil {
			return nil, err
		}
		c := &core{nodeID: nodeID, key: entity, rec: rec}
		if name := info.GetName(); name != "" && name != rec.GetConfigName() {
			rec.DisplayName, rec.ConfigName, c.seeded = name, name, true
		}
		return c, nil
	}
}

// get reads key into m; a missing record leaves m empty.
func get(v persist.View, b persist.Bucket, key string, m proto.Message) error {
	raw, ok := v.Get(b, key)
	if !ok {
		return nil
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return fmt.Errorf("profile: decode %s/%s: %w", b, key, err)
	}
	return nil
}

func marshal(m proto.Message) []byte { return storev1.Marshal(m) }
