package audit

import (
	"slices"
	"strings"
)

// auditedTypes is the one list of audited event types (docs/audit.md repeats it): logins,
// lockouts, logouts, password and bearer changes today, and the administrative events of
// settings, profile, vaults, the swarm key, management keys and S3 as those features land.
var auditedTypes = []string{
	// auth (actors/auth)
	"login_succeeded", "login_failed", "login_locked_out", "logged_out",
	"password_changed", "bootstrap_exchanged", "token_created", "token_revoked",
	// settings and profile
	"settings_changed", "profile_changed",
	// vaults
	"vault_created", "vault_deleted", "vault_locked", "vault_unlocked",
	// the mesh and its keys
	"swarm_key_rotated", "mgmt_key_created", "mgmt_key_revoked",
	// S3 gateway
	"s3_key_created", "s3_key_revoked", "s3_grant_set", "s3_grant_removed",
}

// auditedPrefixes audits every event type that starts with one of them.
var auditedPrefixes = []string{
	"network_", // network_created, network_joined, network_left, network_peer_added …
	"webhook_", // webhook_failing, webhook_recovered, webhook_dropped, webhook_gap (http/webhook)
}

// Audited reports whether events of type eventType get an audit record.
func Audited(eventType string) bool {
	if slices.Contains(auditedTypes, eventType) {
		return true
	}
	for _, p := range auditedPrefixes {
		if strings.HasPrefix(eventType, p) && len(eventType) > len(p) {
			return true
		}
	}
	return false
}

// AuditedTypes lists the exact audited types and the audited prefixes (written "network_*").
func AuditedTypes() []string {
	out := slices.Clone(auditedTypes)
	for _, p := range auditedPrefixes {
		out = append(out, p+"*")
	}
	return out
}
