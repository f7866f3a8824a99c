// Package profile is the node's profile actor (entity profile/self): what this node says about
// itself — its peer id and display name now, avatar, push endpoint and metered flag later.
package profile

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// InfoKey is the profile's NodeInfo record in persist.Meta; config.yaml's node section seeds it
// at each start.
const InfoKey = messages.ProfileKind + "/" + messages.ProfileID + "/info"

// core keeps the small profile in memory (it is read on every /whoami) and its record on disk.
type core struct {
	whoami messages.Whoami
}

// Load builds the profile core of the node whose peer id is nodeID from its record.
func Load(nodeID string) host.Load {
	return func(_ string, v persist.View) (host.Core, error) {
		var info storev1.NodeInfo
		if b, ok := v.Get(persist.Meta, InfoKey); ok {
			if err := proto.Unmarshal(b, &info); err != nil {
				return nil, fmt.Errorf("profile: decode %s: %w", InfoKey, err)
			}
		}
		return &core{whoami: messages.Whoami{NodeID: nodeID, Name: info.GetName()}}, nil
	}
}

func (c *core) Step(_ time.Time, msg any, _ persist.View) host.Output {
	switch msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.GetWhoami:
		return host.Output{Reply: c.whoami}
	}
	return host.Output{Reply: fmt.Errorf("profile: unknown command %T", msg)}
}
