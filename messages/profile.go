package messages

// ProfileKind and ProfileID name the node's profile actor: entity profile/self.
const (
	ProfileKind = "profile"
	ProfileID   = "self"
)

// GetWhoami asks who this node is.
type GetWhoami struct{}

// Whoami answers GetWhoami.
type Whoami struct {
	NodeID string `json:"node_id"`
	Name   string `json:"name"`
}
