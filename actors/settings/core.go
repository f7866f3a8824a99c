// Package settings is the node's runtime settings actor (entity settings/self): the values the
// UI edits, from the registry in messages (SettingSpecs), each stored only while it differs
// from its default. Secret values arrive sealed by http/api with the node's keyring, so the
// records hold ciphertext and the core never sees a secret.
package settings

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// core has no state of its own: the settings are read from disk when asked for.
type core struct {
	prefix string // "settings/self/": the key of setting k is prefix + k
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.GetSettings:
		return host.Output{Reply: c.list(v, nil)}
	case messages.UpdateSettings:
		return c.update(now.UnixMilli(), m, v)
	}
	return host.Output{Reply: fmt.Errorf("settings: unknown command %T", msg)}
}

// update checks every change before it makes any, so a bad one refuses them all.
func (c *core) update(ms int64, m messages.UpdateSettings, v persist.View) host.Output {
	if len(m.Changes) == 0 {
		return host.Output{Reply: messages.Invalid("", "name at least one setting; known: %s", messages.SettingKeys())}
	}
	next := map[string]*storev1.Setting{} // key → new record; nil deletes it
	for _, ch := range m.Changes {
		rec, err := record(ms, ch)
		if err != nil {
			return host.Output{Reply: err}
		}
		next[ch.Key] = rec
	}
	var writes []persist.Write
	var keys []string
	for _, spec := range messages.SettingSpecs() { // sorted by key: the output's order is fixed
		rec, ok := next[spec.Key]
		if !ok {
			continue
		}
		old, had := c.get(v, spec.Key)
		switch {
		case rec == nil && !had:
			continue
		case rec == nil:
			writes = append(writes, persist.Write{Bucket: persist.Settings, Key: c.prefix + spec.Key, Delete: true})
		case had && !spec.Secret && bytes.Equal(old.GetValue(), rec.GetValue()):
			continue // unchanged; a secret is always news, its ciphertext cannot be compared
		default:
			writes = append(writes, persist.Write{Bucket: persist.Settings, Key: c.prefix + spec.Key, Value: marshal(rec)})
		}
		keys = append(keys, spec.Key)
	}
	if len(keys) == 0 {
		return host.Output{Reply: c.list(v, nil)}
	}
	return host.Output{
		Writes: writes,
		Events: []host.Event{{Type: "settings_changed", Data: messages.SettingsChanged{Keys: keys}}},
		Reply:  c.list(v, next),
	}
}

// record checks one change against the registry and builds its record; nil for a reset or
// the default value.
func record(ms int64, ch messages.SettingChange) (*storev1.Setting, error) {
	spec, ok := messages.LookupSetting(ch.Key)
	switch {
	case !ok:
		return nil, messages.Invalid(ch.Key, "unknown setting; known: %s", messages.SettingKeys())
	case ch.Reset:
		return nil, nil
	case spec.Secret && len(ch.Sealed) == 0:
		return nil, messages.Invalid(ch.Key, "is a secret: it needs a sealed value")
	case spec.Secret:
		return &storev1.Setting{Sealed: slices.Clone(ch.Sealed), UpdatedMs: ms}, nil
	}
	value, err := spec.Parse(ch.Value)
	switch {
	case err != nil:
		return nil, err
	case bytes.Equal(value, spec.DefaultJSON()):
		return nil, nil // the default is not stored
	}
	return &storev1.Setting{Value: value, UpdatedMs: ms}, nil
}
