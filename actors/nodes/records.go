package nodes

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Bucket holds the directory's records, every key prefixed with the entity
// (nodes/self/node/<peer id>, nodes/self/speed/<peer id>). The spine's meta bucket already
// holds entity-keyed records (profile/self/info); a bucket of its own would need a migration.
const Bucket = persist.Meta

// storedNode is the record of one known node: JSON of a struct whose slices come sorted from
// their node, so the same node gives the same bytes. Its peer links are not kept: they are live.
type storedNode struct {
	Info        messages.NodeInfo `json:"info"`
	Via         string            `json:"via"`
	FirstSeenMs int64             `json:"first_seen_at_ms"`
	LastSeenMs  int64             `json:"last_seen_at_ms"`
}

// storedSpeed is the record of one peer's speed tests, newest first.
type storedSpeed struct {
	Results []messages.SpeedResult `json:"results"`
}

// Load builds the directory core of the node cfg.Self from the known nodes' records; they
// load offline. Unreadable records are skipped (and rewritten when their node is seen again).
func Load(cfg Config) host.Load {
	cfg = cfg.withDefaults()
	return func(entity string, v persist.View) (host.Core, error) {
		if cfg.Self == "" {
			return nil, fmt.Errorf("nodes: no self peer id")
		}
		c := &core{cfg: cfg, prefix: entity + "/", nodes: map[string]*entry{}, edges: map[[2]string]bool{}}
		nodePrefix := c.prefix + "node/"
		v.Scan(Bucket, nodePrefix, "", func(key string, raw []byte) bool {
			var rec storedNode
			id := strings.TrimPrefix(key, nodePrefix)
			if json.Unmarshal(raw, &rec) != nil || rec.Info.NodeID != id || rec.Info.Check() != nil || id == cfg.Self {
				return true
			}
			c.nodes[id] = &entry{info: rec.Info, known: true, via: rec.Via, firstSeen: rec.FirstSeenMs,
				lastSeen: rec.LastSeenMs, stored: rec.LastSeenMs}
			return true
		})
		return c, nil
	}
}

func (c *core) nodeKey(id string) string  { return c.prefix + "node/" + id }
func (c *core) speedKey(id string) string { return c.prefix + "speed/" + id }

// put writes e's record and notes what it stored.
func (c *core) put(e *entry) persist.Write {
	info := e.info
	info.Peers = nil
	e.stored = e.lastSeen
	return persist.Write{Bucket: Bucket, Key: c.nodeKey(info.NodeID), Value: mustJSON(storedNode{
		Info: info, Via: e.via, FirstSeenMs: e.firstSeen, LastSeenMs: e.lastSeen})}
}

func (c *core) putSpeed(peer string, hist []messages.SpeedResult) persist.Write {
	return persist.Write{Bucket: Bucket, Key: c.speedKey(peer), Value: mustJSON(storedSpeed{Results: hist})}
}

// readSpeed reads peer's speed tests; nil when there are none or the record is unreadable.
func (c *core) readSpeed(v persist.View, peer string) []messages.SpeedResult {
	raw, ok := v.Get(Bucket, c.speedKey(peer))
	if !ok {
		return nil
	}
	var rec storedSpeed
	if json.Unmarshal(raw, &rec) != nil {
		return nil
	}
	return rec.Results
}

// mustJSON encodes a record struct; encoding plain structs cannot fail, a failure is a bug.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("nodes: encode record: %w", err))
	}
	return b
}
