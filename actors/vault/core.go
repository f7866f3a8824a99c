// Package vault holds the vault actors' cores: the registry (entity vaults/registry), which
// owns every vault's metadata, and one core per vault (entity vault/<id>), which owns the
// vault's catalog — versions, the plaintext path index, block reference counts, policy and
// usage — and serialises its mutations. docs/vaults.md is the design.
package vault

import (
	"fmt"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// core is one vault. It caches the small, hot state (registry record, key, policy, usage) and
// reads everything else through the view.
type core struct {
	id   string
	keys keys
	deps Deps

	metaRaw []byte
	meta    *storev1.VaultMeta // nil: no such vault

	key   messages.VaultKey
	rc    *vaultcrypt.RecordCipher // nil while locked
	check []byte                   // the stored key check; nil until the vault first had its key

	policy *storev1.VaultPolicy
	usage  *storev1.VaultUsage
	mk     *merkle              // the Merkle summary of the retained versions
	spol   *messages.SyncPolicy // the policy as it replicates; nil until sealed (or given, untrusted)

	scrub *messages.ScrubRecord // the last scrub pass; nil: none yet
	pull  *messages.PullRecord  // the last pull that changed something; nil: none yet

	seed     []persist.Write // records the load found missing, written by the next step
	attached bool            // the next step arms the retention timer
	sweep    sweepState
}

// errLocked answers file commands while the vault's key is not held.
var errLocked = fmt.Errorf("vault %w", messages.ErrLocked)

// errUntrusted answers what needs the key on a vault this node holds without it.
func (c *core) errUntrusted() error {
	return fmt.Errorf("vault %w: vault %s is untrusted on this node: it has no key", messages.ErrLocked, c.id)
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	if err := c.refresh(v); err != nil {
		return host.Output{Reply: err}
	}
	out := c.step(now, msg, v)
	if len(c.seed) > 0 && c.live() {
		out.Writes = append(c.seed, out.Writes...)
		c.seed = nil
	}
	if c.attached && c.live() {
		c.attached = false
		out.Timers = append(out.Timers, c.retentionTimer(now))
	}
	return out
}

func (c *core) step(now time.Time, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case host.Recovered:
		if c.meta != nil && c.meta.Deleted && catalogLeft(v, c.id) {
			return host.Output{Timers: []host.Timer{{Key: timerPurge, At: now}}}
		}
		return host.Output{}
	case host.Wake:
		switch m.Key {
		case timerRetention:
			return c.sweepStep(now, v)
		case timerPurge:
			return c.purgeStep(now, v)
		}
		return host.Output{}
	case messages.PurgeVault:
		return c.startPurge(now, v)
	case messages.ForgetOrphans:
		return c.forgetOrphans(m, v)
	}
	if !c.live() {
		return host.Output{Reply: messages.NotFound("vault")}
	}
	if out, ok := c.syncStep(now, msg, v); ok {
		return out
	}
	if out, ok := c.replicaStep(now, msg, v); ok {
		return out
	}
	switch m := msg.(type) {
	case messages.GetVault:
		return host.Output{Reply: c.status()}
	case messages.GetAnalytics:
		return host.Output{Reply: c.analytics(now, m, v)}
	}
	if c.untrusted() { // everything else needs the key
		return host.Output{Reply: c.errUntrusted()}
	}
	switch m := msg.(type) {
	case messages.SetPolicy:
		return c.setPolicy(now, m)
	case messages.LockVault:
		return c.lock()
	case messages.UnlockVault:
		return c.unlock(now, m)
	}
	switch msg.(type) {
	case messages.BeginUpload, messages.CommitUpload, messages.StatFile, messages.ListFiles, messages.GetHistory,
		messages.OpenVersion, messages.DeleteFile, messages.RestoreFile, messages.ResolveConflict:
		if c.rc == nil {
			return host.Output{Reply: errLocked}
		}
	}
	return c.files(now.UnixMilli(), msg, v)
}

// files runs the commands that need the key.
func (c *core) files(ms int64, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case messages.BeginUpload:
		// An admission: CommitUpload re-checks everything, so it need not wait for a commit.
		return host.Output{Reply: c.beginUpload(m, v), Immediate: true}
	case messages.CommitUpload:
		return c.commitUpload(ms, m, v)
	case messages.StatFile:
		return host.Output{Reply: c.stat(m, v)}
	case messages.ListFiles:
		return host.Output{Reply: c.list(m, v)}
	case messages.GetHistory:
		return host.Output{Reply: c.history(m, v)}
	case messages.OpenVersion:
		return host.Output{Reply: c.openForRead(m, v)}
	case messages.DeleteFile:
		return c.deleteFile(ms, m, v)
	case messages.RestoreFile:
		return c.restore(ms, m, v)
	case messages.ResolveConflict:
		return c.resolve(ms, m, v)
	}
	return host.Output{Reply: fmt.Errorf("vault: unknown command %T", msg)}
}

func (c *core) status() messages.VaultStatus {
	return messages.VaultStatus{
		ID: c.id, Locked: c.rc == nil, Untrusted: c.untrusted(), PasswordProtected: c.meta.Wrap != nil,
		Policy: policyInfo(c.policy), Usage: usageInfo(c.usage), LastScrub: c.scrub, LastPull: c.pull,
	}
}

func (c *core) lock() host.Output {
	if c.meta.Wrap == nil {
		return host.Output{Reply: fmt.Errorf("%w: vault %s has no password, so it cannot be locked", messages.ErrConflict, c.id)}
	}
	if c.rc == nil {
		return host.Output{Reply: c.status()}
	}
	c.dropKey()
	return host.Output{Events: []host.Event{{Type: "vault_locked", Data: map[string]any{"vault_id": c.id}}}, Reply: c.status()}
}

func (c *core) unlock(now time.Time, m messages.UnlockVault) host.Output {
	if c.rc != nil {
		if m.Key != c.key {
			return host.Output{Reply: fmt.Errorf("%w: the key does not open vault %s", messages.ErrForbidden, c.id)}
		}
		return host.Output{Reply: c.status()}
	}
	if err := c.setKey(m.Key); err != nil {
		return host.Output{Reply: err}
	}
	out := host.Output{Events: []host.Event{{Type: "vault_unlocked", Data: map[string]any{"vault_id": c.id}}}}
	if c.check == nil {
		c.check = c.rc.Seal([]byte(keyCheckText))
		out.Writes = []persist.Write{{Bucket: persist.Catalog, Key: c.keys.keyCheck(), Value: c.check}}
	}
	if c.sweep.due {
		out.Timers = []host.Timer{{Key: timerRetention, At: now}}
	}
	out.Reply = c.status()
	return out
}
