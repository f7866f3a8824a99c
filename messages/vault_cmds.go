package messages

// Registry commands (entity vaults/registry). Errors: Invalid, NotFound("vault"), ErrConflict
// for a taken id, name or S3 alias.

// CreateVault creates a trusted vault; the registry answers VaultMeta. Exactly one of
// SealedKey (the key sealed with the master key, purpose VaultKeyPurpose(ID)) and Wrap (a
// password vault, which starts locked) is set. Policy is a seed: zero fields take defaults.
type CreateVault struct {
	ID        string
	Name      string
	Folder    string
	SealedKey []byte
	Wrap      *KeyWrap
	Roles     []string
	Policy    VaultPolicy
}

// ListVaults asks for every vault that is not deleted, untrusted ones (ObserveVault) included;
// the registry answers VaultList.
type ListVaults struct{}

// VaultList answers ListVaults, sorted by name, then id.
type VaultList struct {
	Vaults []VaultMeta `json:"vaults"`
}

// GetVaultMeta asks for one vault's metadata; the registry answers VaultMeta.
type GetVaultMeta struct{ ID string }

// VaultMeta is a vault's registry record as answers show it; the key wrap is for the unlock
// route and never leaves the daemon.
type VaultMeta struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Folder            string   `json:"folder,omitempty"`
	Alias             string   `json:"s3_alias,omitempty"`
	CreatedMs         int64    `json:"created_ms"`
	UpdatedMs         int64    `json:"updated_ms"`
	Roles             []string `json:"roles"`
	PasswordProtected bool     `json:"password_protected"`
	Wrap              *KeyWrap `json:"-"`
	// Untrusted: this node knows the vault without its key (ObserveVault); Hold: it stores and
	// serves the vault's sealed records and blocks.
	Untrusted bool `json:"untrusted"`
	Hold      bool `json:"hold,omitempty"`
}

// UpdateVaultMeta changes the name and role flags that are present; answers VaultMeta. On an
// untrusted vault the only role is RoleHold: Roles ["hold"] holds its ciphertext, [] only knows
// of it (what ObserveVault's Hold sets).
type UpdateVaultMeta struct {
	ID    string
	Name  *string
	Roles *[]string
}

// SetAlias sets the vault's S3 alias, a valid S3 bucket name unique across vaults ("" clears
// it); answers VaultMeta.
type SetAlias struct {
	ID    string
	Alias string
}

// DeleteVault untrusts a vault: its key, wrap and alias are dropped and its name is freed;
// answers VaultDeleted. Send PurgeVault to the vault afterwards to release its blocks.
type DeleteVault struct{ ID string }

// VaultDeleted answers DeleteVault.
type VaultDeleted struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Vault commands (entity vault/<id>). Every one answers NotFound("vault") for an unknown or
// deleted vault; file commands answer ErrLocked ("vault locked") while the key is not held.

// GetVault asks for the vault's status; answers VaultStatus.
type GetVault struct{}

// VaultStatus is a vault's effective policy, exact usage and key state. An untrusted vault is
// Locked (no key) and Untrusted; its Policy is unknown (zero) but for the version it holds.
type VaultStatus struct {
	ID                string      `json:"id"`
	Locked            bool        `json:"locked"`
	Untrusted         bool        `json:"untrusted"`
	PasswordProtected bool        `json:"password_protected"`
	Policy            VaultPolicy `json:"policy"`
	Usage             VaultUsage  `json:"usage"`
	// LastScrub and LastPull are the last RecordScrub and RecordReplication (nil: none yet).
	LastScrub *ScrubRecord `json:"last_scrub,omitempty"`
	LastPull  *PullRecord  `json:"last_pull,omitempty"`
}

// VaultUsage is what a vault's retained versions take.
type VaultUsage struct {
	Bytes        int64 `json:"bytes"` // logical size of every retained version: the quota counter
	Files        int64 `json:"files"`
	DeletedFiles int64 `json:"deleted_files"`
	Versions     int64 `json:"versions"`
	Conflicts    int64 `json:"conflicts"` // paths with more than one head
	Pruned       int64 `json:"pruned"`    // addresses in the pruned set (never synced back)
}

// SetPolicy changes the policy fields that are present (0 = none / all / forever); answers
// the new VaultPolicy.
type SetPolicy struct {
	ReplicationFactor *int
	HardQuota         *int64
	KeepVersions      *int
	KeepDeletedForMs  *int64
}

// LockVault drops a password vault's key from memory; answers VaultStatus.
type LockVault struct{}

// UnlockVault hands the vault its key, unwrapped outside the actor; answers VaultStatus, or
// ErrForbidden when the key is not this vault's.
type UnlockVault struct{ Key VaultKey }

// PurgeVault starts deleting a deleted vault's catalog, turning its block references into
// orphans for the collector; answers VaultPurge.
type PurgeVault struct{}

// VaultPurge answers PurgeVault: Done when nothing of the catalog is left but orphans.
type VaultPurge struct {
	Done bool `json:"done"`
}

// ForgetOrphans drops the orphan records of blocks the collector deleted, unless a version
// references them again; answers OrphansForgotten.
type ForgetOrphans struct{ Addrs []BlockAddr }

// OrphansForgotten answers ForgetOrphans.
type OrphansForgotten struct{ Count int }

// BeginUpload admits an upload before any byte is stored (lock, path, If-Match, Base, quota
// when Size is known; -1 = unknown); answers UploadGrant, or *QuotaError.
type BeginUpload struct {
	Path    string
	Size    int64
	IfMatch string // content hash (hex) the head must have; "" = none
	Base    string // content hash (hex) of the version the client edited; "" = the heads
	// IfNoneMatch: the path must have no live version (S3's If-None-Match: *, a create-only
	// write); checked again by the commit.
	IfNoneMatch bool
}

// UploadGrant answers BeginUpload: the key to encrypt with and the quota budget.
type UploadGrant struct {
	VaultID   string
	Key       VaultKey
	HardQuota int64 // 0 = none
	Used      int64 // retained bytes the commit will count the body on top of
	Remaining int64 // bytes the body may have; -1 = no quota
}

// Over returns the 507 error once n body bytes exceed the grant's budget, else nil.
func (g UploadGrant) Over(n int64) error {
	if g.Remaining < 0 || n <= g.Remaining {
		return nil
	}
	return &QuotaError{VaultID: g.VaultID, HardQuota: g.HardQuota, WouldBeSize: g.Used + n}
}

// CommitUpload records a new version from an upload's manifest, once its blocks are stored
// (idempotent: a head with the same content is answered as is); answers FileInfo.
type CommitUpload struct {
	Path        string
	Manifest    Manifest
	ContentType string
	Meta        map[string]string
	MtimeMs     int64  // 0 = the commit's time
	Author      string // node id; "" = this node
	IfMatch     string
	Base        string
	IfNoneMatch bool // the path must have no live version, as BeginUpload.IfNoneMatch
}

// StatFile asks for a path's shown head with its blocks, and its DAG when Versions is set;
// a deleted path is "file not found" unless IncludeDeleted. Answers FileInfo.
type StatFile struct {
	Path           string
	IncludeDeleted bool
	Versions       bool
}

// ListFiles asks for the paths in the folder Prefix after Cursor, in byte order; answers
// FileList. "" and "/" are the whole vault; "/a" holds the file /a and everything under /a/
// (not /ab); "/a/" only what is under /a/.
type ListFiles struct {
	Prefix         string
	Cursor         string
	Limit          int // 0 = 1000, at most 10000
	IncludeDeleted bool
}

// FileList answers ListFiles; NextCursor is "" on the last page.
type FileList struct {
	Files      []FileInfo `json:"files"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// GetHistory asks for a path's retained versions, deleted paths included; answers FileHistory.
type GetHistory struct{ Path string }

// FileHistory answers GetHistory, newest first.
type FileHistory struct {
	Path     string        `json:"path"`
	Versions []VersionInfo `json:"versions"`
}

// OpenVersion asks for what a download needs: the shown head, or the newest version with
// ContentHash (a content hash or version addr, hex); answers Readable.
type OpenVersion struct {
	Path        string
	ContentHash string
}

// Readable answers OpenVersion: blocks are then read, verified and decrypted outside the actor.
type Readable struct {
	Key      VaultKey
	Manifest Manifest
	File     FileInfo
}

// DeleteFile writes a tombstone version whose parents are the heads; answers FileInfo.
type DeleteFile struct{ Path string }

// RestoreFile writes a new version with the content of the newest version with ContentHash,
// its parents the heads; answers FileInfo.
type RestoreFile struct {
	Path        string
	ContentHash string
}

// ResolveConflict writes a version with the content of the head with ContentHash, its parents
// every head; ErrConflict when the path has one head. Answers FileInfo.
type ResolveConflict struct {
	Path        string
	ContentHash string
}

// GetAnalytics asks for the top content types and authors of the live files and the last
// Days days of history (0 = 30, at most 366); answers VaultAnalytics.
type GetAnalytics struct{ Days int }

// VaultAnalytics answers GetAnalytics; tallies sort by bytes, then count, then name; at most 10 each.
type VaultAnalytics struct {
	TopTypes     []UsageTally `json:"top_types"`
	TopConsumers []UsageTally `json:"top_consumers"`
	History      []DayTally   `json:"history"`
}

// UsageTally counts live files and their bytes under one name (a content type or an author node).
type UsageTally struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
	Bytes int64  `json:"bytes"`
}

// DayTally is one UTC day: versions uploaded (restores and resolutions included), their
// bytes, and deletes.
type DayTally struct {
	Day     string `json:"day"` // 2006-01-02
	Uploads int64  `json:"uploads"`
	Bytes   int64  `json:"bytes"`
	Deletes int64  `json:"deletes"`
}
