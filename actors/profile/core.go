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

type core struct{ nodeID string }

// Load builds the profile core of the node whose peer id is nodeID.
func Load(nodeID string) host.Load {
	return func(string, persist.View) (host.Core, error) { return &core{nodeID: nodeID}, nil }
}

func (c *core) Step(_ time.Time, msg any, v persist.View) host.Output {
	switch msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.GetWhoami:
		var info storev1.NodeInfo
		if b, ok := v.Get(persist.Meta, InfoKey); ok {
			_ = proto.Unmarshal(b, &info)
		}
		return host.Output{Reply: messages.Whoami{NodeID: c.nodeID, Name: info.GetName()}}
	}
	return host.Output{Reply: fmt.Errorf("profile: unknown command %T", msg)}
}
