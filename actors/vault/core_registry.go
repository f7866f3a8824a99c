package vault

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// MaxVaultName is the longest vault name, in characters.
const MaxVaultName = 64

// idPattern is what a vault id may be (the same rule as config.yaml's vaults[].id).
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// registry is the core of vaults/registry: every vault's metadata in persist.Vaults, keyed by
// vault id. It keeps nothing in memory; the number of vaults is small, so uniqueness checks scan.
type registry struct{}

// LoadRegistry builds the registry core (entity vaults/registry).
func LoadRegistry(string, persist.View) (host.Core, error) { return registry{}, nil }

func (r registry) Step(now time.Time, msg any, v persist.View) host.Output {
	ms := now.UnixMilli()
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.CreateVault:
		return r.create(ms, m, v)
	case messages.ObserveVault:
		return r.observe(ms, m, v)
	case messages.ListVaults:
		list := []messages.VaultMeta{}
		for _, meta := range r.all(v) {
			if !meta.GetDeleted() {
				list = append(list, metaInfo(meta))
			}
		}
		slices.SortFunc(list, func(a, b messages.VaultMeta) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
		return host.Output{Reply: messages.VaultList{Vaults: list}}
	case messages.GetVaultMeta:
		meta, err := r.live(v, m.ID)
		if err != nil {
			return host.Output{Reply: err}
		}
		return host.Output{Reply: metaInfo(meta)}
	case messages.UpdateVaultMeta:
		return r.update(ms, m, v)
	case messages.SetAlias:
		return r.setAlias(ms, m, v)
	case messages.DeleteVault:
		return r.delete(ms, m, v)
	}
	return host.Output{Reply: fmt.Errorf("vault registry: unknown command %T", msg)}
}

func (r registry) create(ms int64, m messages.CreateVault, v persist.View) host.Output {
	if err := checkCreate(m); err != nil {
		return host.Output{Reply: err}
	}
	if old, ok := readMeta(v, m.ID); ok {
		if !old.GetDeleted() {
			return host.Output{Reply: fmt.Errorf("%w: a vault with id %q already exists", messages.ErrConflict, m.ID)}
		}
		if catalogLeft(v, m.ID) {
			return host.Output{Reply: fmt.Errorf("%w: the deleted vault %q is still being purged", messages.ErrConflict, m.ID)}
		}
	}
	if r.nameTaken(v, m.Name, "") {
		return host.Output{Reply: fmt.Errorf("%w: a vault named %q already exists", messages.ErrConflict, m.Name)}
	}
	roles := slices.Clone(m.Roles)
	slices.Sort(roles)
	policy := m.Policy.WithDefaults()
	policy.Version = 1
	meta := &storev1.VaultMeta{
		Id: m.ID, Name: m.Name, Folder: m.Folder, CreatedMs: ms, UpdatedMs: ms,
		SealedKey: m.SealedKey, Wrap: wrapRecord(m.Wrap), Roles: roles, Policy: policyRecord(policy, ms),
	}
	return host.Output{
		Writes: []persist.Write{putMeta(meta)},
		Events: []host.Event{{Type: "vault_created", Data: map[string]any{
			"vault_id": m.ID, "name": m.Name, "folder": m.Folder, "password_protected": m.Wrap != nil, "policy": policy}}},
		Reply: metaInfo(meta),
	}
}

// observe records an untrusted vault, or updates one: its name (when given) and Hold.
func (r registry) observe(ms int64, m messages.ObserveVault, v persist.View) host.Output {
	if !idPattern.MatchString(m.ID) {
		return host.Output{Reply: messages.Invalid("id", "%q must be 1–64 letters, digits, '-' or '_'", m.ID)}
	}
	if m.Name != "" {
		if err := messages.CheckName("name", m.Name, MaxVaultName, true); err != nil {
			return host.Output{Reply: err}
		}
	}
	old, ok := readMeta(v, m.ID)
	switch {
	case ok && !old.Deleted && !old.Untrusted:
		return host.Output{Reply: fmt.Errorf("%w: vault %q is already trusted on this node", messages.ErrConflict, m.ID)}
	case ok && old.Deleted && catalogLeft(v, m.ID):
		return host.Output{Reply: fmt.Errorf("%w: the deleted vault %q is still being purged", messages.ErrConflict, m.ID)}
	}
	known := ok && !old.Deleted
	meta := &storev1.VaultMeta{Id: m.ID, Untrusted: true, CreatedMs: ms}
	if known {
		meta = old
	}
	name := meta.Name
	if m.Name != "" {
		name = m.Name
	}
	if name != meta.Name && r.nameTaken(v, name, m.ID) {
		return host.Output{Reply: fmt.Errorf("%w: a vault named %q already exists", messages.ErrConflict, name)}
	}
	if known && name == meta.Name && m.Hold == meta.Hold {
		return host.Output{Reply: metaInfo(meta)}
	}
	meta.Name, meta.Hold, meta.UpdatedMs = name, m.Hold, ms
	return host.Output{
		Writes: []persist.Write{putMeta(meta)},
		Events: []host.Event{{Type: "vault_observed", Data: map[string]any{"vault_id": m.ID, "name": name, "hold": m.Hold}}},
		Reply:  metaInfo(meta),
	}
}

func checkCreate(m messages.CreateVault) error {
	if !idPattern.MatchString(m.ID) {
		return messages.Invalid("id", "%q must be 1–64 letters, digits, '-' or '_'", m.ID)
	}
	if err := messages.CheckName("name", m.Name, MaxVaultName, true); err != nil {
		return err
	}
	if err := messages.CheckRoles(m.Roles); err != nil {
		return err
	}
	if err := m.Policy.Check(); err != nil {
		return err
	}
	switch {
	case (len(m.SealedKey) > 0) == (m.Wrap != nil):
		return messages.Invalid("password", "a vault needs exactly one of a sealed key and a password wrap")
	case m.Wrap != nil && len(m.Wrap.Salt) < vaultcrypt.SaltSize:
		return messages.Invalid("password", "the key wrap's salt is shorter than %d bytes", vaultcrypt.SaltSize)
	case m.Wrap != nil && len(m.Wrap.Wrapped) != vaultcrypt.WrappedKeySize:
		return messages.Invalid("password", "the wrapped key is not %d bytes", vaultcrypt.WrappedKeySize)
	case m.Wrap != nil:
		costs := vaultcrypt.KDFCosts{Time: m.Wrap.Time, MemoryKiB: m.Wrap.MemoryKiB, Threads: m.Wrap.Threads}
		if err := costs.Validate(); err != nil {
			return messages.Invalid("password", "%v", err)
		}
	}
	return nil
}

func (r registry) update(ms int64, m messages.UpdateVaultMeta, v persist.View) host.Output {
	if m.Name == nil && m.Roles == nil {
		return host.Output{Reply: messages.Invalid("", "name at least one of name, roles")}
	}
	meta, err := r.live(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	var events []host.Event
	if m.Name != nil && *m.Name != meta.Name {
		if err := messages.CheckName("name", *m.Name, MaxVaultName, true); err != nil {
			return host.Output{Reply: err}
		}
		if r.nameTaken(v, *m.Name, m.ID) {
			return host.Output{Reply: fmt.Errorf("%w: a vault named %q already exists", messages.ErrConflict, *m.Name)}
		}
		events = append(events, host.Event{Type: "vault_renamed", Data: map[string]any{"vault_id": m.ID, "name": *m.Name, "old_name": meta.Name}})
		meta.Name = *m.Name
	}
	if m.Roles != nil && meta.Untrusted {
		if slices.ContainsFunc(*m.Roles, func(r string) bool { return r == messages.RoleMedia || r == messages.RoleS3 }) {
			return host.Output{Reply: fmt.Errorf("%w: vault %s is untrusted here: its roles need the key", messages.ErrConflict, m.ID)}
		}
		if err := messages.CheckUntrustedRoles(*m.Roles); err != nil {
			return host.Output{Reply: err}
		}
		// The hold flag, as ObserveVault sets it: the same event, so the node's info follows.
		if hold := len(*m.Roles) > 0; hold != meta.Hold {
			meta.Hold = hold
			events = append(events, host.Event{Type: "vault_observed", Data: map[string]any{"vault_id": m.ID, "name": meta.Name, "hold": hold}})
		}
	} else if m.Roles != nil {
		if err := messages.CheckRoles(*m.Roles); err != nil {
			return host.Output{Reply: err}
		}
		roles := slices.Clone(*m.Roles)
		slices.Sort(roles)
		if !slices.Equal(roles, meta.Roles) {
			events = append(events, host.Event{Type: "vault_roles_changed", Data: map[string]any{"vault_id": m.ID, "roles": roles}})
			meta.Roles = roles
		}
	}
	return r.changed(ms, meta, events)
}

// changed writes meta when events report a change, and answers with it.
func (r registry) changed(ms int64, meta *storev1.VaultMeta, events []host.Event) host.Output {
	if len(events) == 0 {
		return host.Output{Reply: metaInfo(meta)}
	}
	meta.UpdatedMs = ms
	return host.Output{Writes: []persist.Write{putMeta(meta)}, Events: events, Reply: metaInfo(meta)}
}

func (r registry) setAlias(ms int64, m messages.SetAlias, v persist.View) host.Output {
	meta, err := r.live(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	if m.Alias == meta.S3Alias {
		return host.Output{Reply: metaInfo(meta)}
	}
	if meta.Untrusted {
		return host.Output{Reply: fmt.Errorf("%w: vault %s is untrusted here: S3 needs the key", messages.ErrConflict, m.ID)}
	}
	if m.Alias != "" {
		if err := CheckBucketName(m.Alias); err != nil {
			return host.Output{Reply: err}
		}
		for _, other := range r.all(v) {
			if !other.Deleted && other.S3Alias == m.Alias {
				return host.Output{Reply: fmt.Errorf("%w: the S3 alias %q is used by vault %q", messages.ErrConflict, m.Alias, other.Name)}
			}
		}
	}
	meta.S3Alias = m.Alias
	return r.changed(ms, meta, []host.Event{{Type: "s3_alias_changed", Data: map[string]any{"vault_id": m.ID, "s3_alias": m.Alias}}})
}

func (r registry) delete(ms int64, m messages.DeleteVault, v persist.View) host.Output {
	meta, err := r.live(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	gone := &storev1.VaultMeta{Id: meta.Id, Name: meta.Name, Folder: meta.Folder, CreatedMs: meta.CreatedMs,
		UpdatedMs: ms, Deleted: true, DeletedMs: ms}
	return host.Output{
		Writes: []persist.Write{putMeta(gone)},
		Events: []host.Event{{Type: "vault_deleted", Data: map[string]any{"vault_id": m.ID, "name": meta.Name}}},
		Reply:  messages.VaultDeleted{ID: m.ID, Name: meta.Name},
	}
}

// all returns every vault record, deleted ones included, in id order.
func (r registry) all(v persist.View) []*storev1.VaultMeta {
	var out []*storev1.VaultMeta
	v.Scan(persist.Vaults, "", "", func(k string, val []byte) bool {
		meta := &storev1.VaultMeta{}
		if unmarshal(val, meta) == nil {
			out = append(out, meta)
		}
		return true
	})
	return out
}

func (r registry) live(v persist.View, id string) (*storev1.VaultMeta, error) {
	meta, ok := readMeta(v, id)
	if !ok || meta.GetDeleted() {
		return nil, messages.NotFound("vault")
	}
	return meta, nil
}

func (r registry) nameTaken(v persist.View, name, except string) bool {
	if name == "" {
		return false // untrusted vaults may have no name
	}
	return slices.ContainsFunc(r.all(v), func(m *storev1.VaultMeta) bool {
		return !m.Deleted && m.Id != except && m.Name == name
	})
}

// catalogLeft reports whether a vault's catalog still holds records other than orphans.
func catalogLeft(v persist.View, id string) bool {
	k := catalogKeys(id)
	left := false
	v.Scan(persist.Catalog, k.all(), "", func(key string, _ []byte) bool {
		left = !strings.HasPrefix(key, k.orphans())
		return !left
	})
	return left
}
