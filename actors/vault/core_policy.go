package vault

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// setPolicy applies the fields present; a tighter retention starts a sweep at once.
func (c *core) setPolicy(now time.Time, m messages.SetPolicy) host.Output {
	next := proto.Clone(c.policy).(*storev1.VaultPolicy)
	var fields []string
	if m.ReplicationFactor != nil {
		if rf := *m.ReplicationFactor; rf < 1 || rf > messages.MaxReplicationFactor {
			return host.Output{Reply: messages.Invalid("replication_factor", "%d is out of range: want 1 to %d", rf, messages.MaxReplicationFactor)}
		}
		if uint32(*m.ReplicationFactor) != next.ReplicationFactor {
			next.ReplicationFactor = uint32(*m.ReplicationFactor)
			fields = append(fields, "replication_factor")
		}
	}
	if m.HardQuota != nil {
		if *m.HardQuota < 0 {
			return host.Output{Reply: messages.Invalid("hard_quota", "must not be negative")}
		}
		if *m.HardQuota != next.HardQuota {
			next.HardQuota = *m.HardQuota
			fields = append(fields, "hard_quota")
		}
	}
	if m.KeepVersions != nil {
		if *m.KeepVersions < 0 {
			return host.Output{Reply: messages.Invalid("keep_versions", "must not be negative")}
		}
		if uint32(*m.KeepVersions) != next.KeepVersions {
			next.KeepVersions = uint32(*m.KeepVersions)
			fields = append(fields, "keep_versions")
		}
	}
	if m.KeepDeletedForMs != nil {
		if *m.KeepDeletedForMs < 0 {
			return host.Output{Reply: messages.Invalid("keep_deleted_for", "must not be negative")}
		}
		if *m.KeepDeletedForMs != next.KeepDeletedForMs {
			next.KeepDeletedForMs = *m.KeepDeletedForMs
			fields = append(fields, "keep_deleted_for_ms")
		}
	}
	if len(fields) == 0 {
		return host.Output{Reply: policyInfo(c.policy)}
	}
	next.Version++
	next.UpdatedMs = now.UnixMilli()
	tighter := tighter(c.policy.KeepVersions, next.KeepVersions) || tighter64(c.policy.KeepDeletedForMs, next.KeepDeletedForMs)
	c.policy, c.spol = next, nil
	out := host.Output{
		Writes: []persist.Write{{Bucket: persist.Catalog, Key: c.keys.policy(), Value: marshal(next)}},
		Events: []host.Event{{Type: "policy_changed", Data: map[string]any{"vault_id": c.id, "fields": fields, "policy": policyInfo(next)}}},
		Reply:  policyInfo(next),
	}
	if tighter {
		c.sweep.cursor = ""
		out.Timers = []host.Timer{{Key: timerRetention, At: now}}
	}
	return out
}

// tighter reports whether a limit where 0 means none became smaller.
func tighter(old, next uint32) bool { return next != 0 && (old == 0 || next < old) }

func tighter64(old, next int64) bool { return next != 0 && (old == 0 || next < old) }
