package settings

import (
	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Load builds the settings core of entity (bucket persist.Settings, keys "<entity>/<key>").
func Load(entity string, _ persist.View) (host.Core, error) {
	return &core{prefix: entity + "/"}, nil
}

// get reads the stored record of key; false when it is unset or unreadable.
func (c *core) get(v persist.View, key string) (*storev1.Setting, bool) {
	raw, ok := v.Get(persist.Settings, c.prefix+key)
	if !ok {
		return nil, false
	}
	rec := &storev1.Setting{}
	return rec, proto.Unmarshal(raw, rec) == nil
}

// list is every known setting, sorted by key; next overrides stored records (nil: unset), so
// an update can answer with its own result before the write is durable.
func (c *core) list(v persist.View, next map[string]*storev1.Setting) messages.SettingsList {
	specs := messages.SettingSpecs()
	out := messages.SettingsList{Settings: make([]messages.SettingEntry, 0, len(specs))}
	for _, spec := range specs {
		rec, ok := next[spec.Key]
		if !ok {
			rec, ok = c.get(v, spec.Key)
		}
		e := messages.SettingEntry{Key: spec.Key, Secret: spec.Secret, Set: ok && rec != nil}
		switch {
		case spec.Secret && e.Set:
			e.Sealed, e.UpdatedMs = rec.GetSealed(), rec.GetUpdatedMs()
		case e.Set:
			e.Value, e.UpdatedMs = rec.GetValue(), rec.GetUpdatedMs()
		case !spec.Secret:
			e.Value = spec.DefaultJSON()
		}
		out.Settings = append(out.Settings, e)
	}
	return out
}

func marshal(m proto.Message) []byte { return storev1.Marshal(m) }
