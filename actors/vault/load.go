package vault

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// Deps are what a vault core needs from outside: the master-key unsealer of its sealed key
// (keyring.Open) and this node's id, the author of its versions.
type Deps struct {
	Unseal func(purpose string, sealed []byte) ([]byte, error)
	NodeID string
}

// Load builds the core of entity vault/<id> from its registry record (read-only) and its
// catalog: policy (seeded from the registry record at the first load), usage and key check.
// A vault with a sealed key starts unlocked, a password vault locked. An unknown or deleted
// vault loads too, and answers "vault not found" until the registry creates it.
func Load(deps Deps) host.Load {
	return func(entity string, v persist.View) (host.Core, error) {
		id := strings.TrimPrefix(entity, messages.VaultKind+"/")
		c := &core{id: id, keys: catalogKeys(id), deps: deps}
		if err := c.attach(v); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// attach (re)reads the registry record and, for a live vault, the catalog's small state. On
// failure the core forgets the record, so that the next step tries again.
func (c *core) attach(v persist.View) error {
	if err := c.attachMeta(v); err != nil {
		c.metaRaw, c.meta, c.seed = nil, nil, nil
		c.dropKey()
		return err
	}
	return nil
}

func (c *core) attachMeta(v persist.View) error {
	raw, _ := v.Get(persist.Vaults, c.id)
	c.metaRaw, c.meta = raw, nil
	c.dropKey()
	if raw == nil {
		return nil
	}
	meta := &storev1.VaultMeta{}
	if err := unmarshal(raw, meta); err != nil {
		return err
	}
	c.meta = meta
	if meta.Deleted {
		return nil
	}
	tx := newTxn(v)
	c.seed, c.spol = nil, nil
	c.usage = &storev1.VaultUsage{}
	if !tx.load(c.keys.usage(), c.usage) {
		c.seed = append(c.seed, persist.Write{Bucket: persist.Catalog, Key: c.keys.usage(), Value: marshal(c.usage)})
	}
	var mkSeed []persist.Write
	c.mk, mkSeed = loadMerkle(v, c.keys)
	c.seed = append(c.seed, mkSeed...)
	c.loadReports(tx)
	if meta.Untrusted {
		return c.attachUntrusted(tx)
	}
	c.policy = &storev1.VaultPolicy{}
	if !tx.load(c.keys.policy(), c.policy) {
		c.policy = meta.GetPolicy()
		if c.policy == nil {
			c.policy = policyRecord(messages.VaultPolicy{Version: 1}.WithDefaults(), meta.CreatedMs)
		}
		c.seed = append(c.seed, persist.Write{Bucket: persist.Catalog, Key: c.keys.policy(), Value: marshal(c.policy)})
	}
	c.check, _ = tx.get(c.keys.keyCheck())
	c.attached = true
	if len(meta.SealedKey) == 0 {
		return nil
	}
	plain, err := c.deps.Unseal(messages.VaultKeyPurpose(c.id), meta.SealedKey)
	if err != nil {
		return fmt.Errorf("vault %s: unseal key: %w", c.id, err)
	}
	if len(plain) != len(messages.VaultKey{}) {
		return fmt.Errorf("vault %s: sealed key is %d bytes, want 32", c.id, len(plain))
	}
	if err := c.setKey(messages.VaultKey(plain)); err != nil {
		return err
	}
	if c.check == nil {
		c.check = c.rc.Seal([]byte(keyCheckText))
		c.seed = append(c.seed, persist.Write{Bucket: persist.Catalog, Key: c.keys.keyCheck(), Value: c.check})
	}
	return nil
}

// refresh re-attaches when the registry record changed since the last step: a vault created
// after its actor started, renamed, or deleted.
func (c *core) refresh(v persist.View) error {
	raw, _ := v.Get(persist.Vaults, c.id)
	if bytes.Equal(raw, c.metaRaw) {
		return nil
	}
	if c.live() {
		meta := &storev1.VaultMeta{}
		if err := unmarshal(raw, meta); err == nil && !meta.Deleted && meta.Untrusted == c.meta.Untrusted {
			c.metaRaw, c.meta = raw, meta // a rename or alias: the key and catalog stay
			return nil
		}
	}
	return c.attach(v)
}

// keyCheckText is sealed with the record cipher into the key check: a key opens the check
// only if it is the vault's key.
const keyCheckText = "meshhold/vault/key-check/v1"

// setKey holds key after checking it against the stored key check, if any.
func (c *core) setKey(key messages.VaultKey) error {
	rc := vaultcrypt.NewRecordCipher(key)
	if c.check != nil {
		if plain, err := rc.Open(c.check); err != nil || string(plain) != keyCheckText {
			return fmt.Errorf("%w: the key does not open vault %s", messages.ErrForbidden, c.id)
		}
	}
	c.key, c.rc = key, rc
	return nil
}

func (c *core) dropKey() { c.key, c.rc = messages.VaultKey{}, nil }

func (c *core) live() bool { return c.meta != nil && !c.meta.Deleted }

// untrusted reports a vault this node holds without its key.
func (c *core) untrusted() bool { return c.meta != nil && c.meta.Untrusted }

// attachUntrusted loads what an untrusted vault has instead of a policy: the sealed policy a
// peer gave it, whose version it shows. It has no key, key check, paths or retention timer.
func (c *core) attachUntrusted(tx *txn) error {
	c.policy = &storev1.VaultPolicy{}
	sp := &storev1.SealedPolicy{}
	if tx.load(c.keys.sealedPolicy(), sp) {
		c.spol = &messages.SyncPolicy{Version: sp.Version, Sealed: sp.Sealed}
		c.policy.Version = sp.Version
	}
	return nil
}

// syncPolicy is the policy as it replicates: sealed once per change on a trusted vault (nil
// while it is locked and was not sealed yet), the newest one given on an untrusted vault.
func (c *core) syncPolicy() *messages.SyncPolicy {
	if c.spol == nil && c.rc != nil && !c.untrusted() {
		c.spol = &messages.SyncPolicy{Version: c.policy.Version, Sealed: c.rc.Seal(marshal(c.policy))}
	}
	return c.spol
}
