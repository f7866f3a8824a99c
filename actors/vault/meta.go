package vault

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// readMeta reads vault id's registry record; false when there is none or it is unreadable.
func readMeta(v persist.View, id string) (*storev1.VaultMeta, bool) {
	raw, ok := v.Get(persist.Vaults, id)
	if !ok {
		return nil, false
	}
	meta := &storev1.VaultMeta{}
	if err := unmarshal(raw, meta); err != nil {
		return nil, false
	}
	return meta, true
}

func putMeta(meta *storev1.VaultMeta) persist.Write {
	return persist.Write{Bucket: persist.Vaults, Key: meta.Id, Value: marshal(meta)}
}

func unmarshal(b []byte, m proto.Message) error {
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("vault: decode %T: %w", m, err)
	}
	return nil
}

// metaInfo is the answer form of a registry record.
func metaInfo(m *storev1.VaultMeta) messages.VaultMeta {
	roles := m.GetRoles()
	if m.GetUntrusted() && m.GetHold() {
		roles = []string{messages.RoleHold} // an untrusted vault's one role (UpdateVaultMeta)
	}
	if roles == nil {
		roles = []string{}
	}
	return messages.VaultMeta{
		ID: m.GetId(), Name: m.GetName(), Folder: m.GetFolder(), Alias: m.GetS3Alias(),
		CreatedMs: m.GetCreatedMs(), UpdatedMs: m.GetUpdatedMs(), Roles: roles,
		PasswordProtected: m.GetWrap() != nil, Wrap: keyWrap(m.GetWrap()),
		Untrusted: m.GetUntrusted(), Hold: m.GetHold(),
	}
}

func wrapRecord(w *messages.KeyWrap) *storev1.KeyWrap {
	if w == nil {
		return nil
	}
	return &storev1.KeyWrap{Salt: w.Salt, Time: w.Time, MemoryKib: w.MemoryKiB, Threads: uint32(w.Threads), Wrapped: w.Wrapped}
}

func keyWrap(w *storev1.KeyWrap) *messages.KeyWrap {
	if w == nil {
		return nil
	}
	return &messages.KeyWrap{Salt: w.Salt, Time: w.Time, MemoryKiB: w.MemoryKib, Threads: uint8(w.Threads), Wrapped: w.Wrapped}
}

func policyRecord(p messages.VaultPolicy, ms int64) *storev1.VaultPolicy {
	return &storev1.VaultPolicy{
		ReplicationFactor: uint32(p.ReplicationFactor), HardQuota: p.HardQuota, KeepVersions: uint32(p.KeepVersions),
		KeepDeletedForMs: p.KeepDeletedForMs, Version: p.Version, UpdatedMs: ms,
	}
}

func policyInfo(p *storev1.VaultPolicy) messages.VaultPolicy {
	return messages.VaultPolicy{
		ReplicationFactor: int(p.GetReplicationFactor()), HardQuota: p.GetHardQuota(), KeepVersions: int(p.GetKeepVersions()),
		KeepDeletedForMs: p.GetKeepDeletedForMs(), Version: p.GetVersion(),
	}
}

func usageInfo(u *storev1.VaultUsage) messages.VaultUsage {
	return messages.VaultUsage{Bytes: u.GetBytes(), Files: u.GetFiles(), DeletedFiles: u.GetDeleted(),
		Versions: u.GetVersions(), Conflicts: u.GetConflicts(), Pruned: u.GetPruned()}
}
