// Package wire holds what every MeshHold stream protocol shares: the protocol ids
// (/meshhold/<name>/1.0) and the framing of messages on a stream — each frame a uvarint length
// followed by that many bytes, with JSON helpers on top for small control messages.
package wire

// Protocol ids of the request/response streams (docs/formats.md, "Protocol ids"). Gossip topics
// are named separately, by what they carry (meshhold/chat/<room_id>).
const (
	Hello        = "/meshhold/hello/1.0"         // node introductions: name, version, vaults held
	Blocks       = "/meshhold/blocks/1.0"        // block bytes between block stores
	Chat         = "/meshhold/chat/1.0"          // chat catch-up
	Call         = "/meshhold/call/1.0"          // call signalling and media
	Tunnel       = "/meshhold/tunnel/1.0"        // forwarded TCP connections
	Speedtest    = "/meshhold/speedtest/1.0"     // throughput probes between two nodes
	SwarmKey     = "/meshhold/swarmkey/1.0"      // swarm key rotation between members
	PluginClaude = "/meshhold/plugin/claude/1.0" // the agent plugin's sessions
)

// Protocols lists every protocol id above, in a fixed order.
func Protocols() []string {
	return []string{Hello, Blocks, Chat, Call, Tunnel, Speedtest, SwarmKey, PluginClaude}
}
