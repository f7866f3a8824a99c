package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

// Catalog sync (docs/vault-sync.md): two nodes holding one vault compare Merkle roots over the
// addresses of its retained version records, list the addresses of the buckets that differ,
// and copy the records one side lacks, verbatim. Every command goes to entity vault/<id>,
// trusted or untrusted; SyncGet and SyncApply need the key on a trusted vault (ErrLocked).

// Limits of one sync command; larger asks are refused (Invalid), larger answers are paged.
const (
	SyncBuckets         = 256     // Merkle buckets: the first byte of a version's address
	MaxSyncList         = 10000   // addresses per SyncListing page
	MaxSyncGet          = 1000    // addresses per SyncGet
	MaxSyncApply        = 1000    // records per SyncApply
	MaxSyncPruned       = 10000   // pruned addresses per SyncApply
	MaxSyncBytes        = 8 << 20 // sealed bytes per SyncRecords answer; the rest come back in Later
	MaxSyncRecordBytes  = 4 << 20 // one sealed version record
	MaxSyncRecordBlocks = 1 << 16 // block addresses beside one record
)

// VersionAddr is a version record's address: the SHA-256 of its sealed bytes.
type VersionAddr [32]byte

// String is 64 lowercase hex characters.
func (a VersionAddr) String() string { return hex.EncodeToString(a[:]) }

// IsZero reports the zero address, which names no record (a cursor's "from the start").
func (a VersionAddr) IsZero() bool { return a == VersionAddr{} }

// Bucket is the Merkle bucket of the address: its first byte.
func (a VersionAddr) Bucket() byte { return a[0] }

// EmptyBucketHash is the hash of a bucket without versions: SHA-256 of nothing.
var EmptyBucketHash = sha256.Sum256(nil)

// BucketHash is a Merkle bucket's hash: SHA-256 of its addresses, 32 bytes each, in ascending
// byte order, concatenated. addrs must be sorted and distinct.
func BucketHash(addrs []VersionAddr) [32]byte {
	h := sha256.New()
	for _, a := range addrs {
		h.Write(a[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// MerkleRoot is a vault's root: SHA-256 of its 256 bucket hashes in bucket order.
func MerkleRoot(buckets *[SyncBuckets][32]byte) [32]byte {
	h := sha256.New()
	for i := range buckets {
		h.Write(buckets[i][:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// SyncSummary asks for the vault's Merkle root and counts, and its 256 bucket hashes when
// Buckets is set; answers VaultSummary.
type SyncSummary struct{ Buckets bool }

// VaultSummary answers SyncSummary. Two nodes whose Root is equal hold the same retained
// versions; Policy is the replicated policy to compare (nil on a locked vault, or an untrusted
// one that was never given one).
type VaultSummary struct {
	VaultID   string
	Root      [32]byte
	Buckets   [][32]byte // SyncBuckets hashes when asked, else nil
	Versions  int64      // retained versions
	Pruned    int64      // addresses in the pruned set
	Untrusted bool
	Policy    *SyncPolicy
}

// DiffBuckets lists the buckets whose hashes differ between two summaries taken with Buckets.
func DiffBuckets(a, b VaultSummary) []byte {
	var out []byte
	if len(a.Buckets) != SyncBuckets || len(b.Buckets) != SyncBuckets {
		return nil
	}
	for i := range SyncBuckets {
		if a.Buckets[i] != b.Buckets[i] {
			out = append(out, byte(i))
		}
	}
	return out
}

// SyncList asks for the retained and the pruned addresses in Buckets (none: every bucket), in
// address order, after the cursor After (zero: from the start), at most Limit of both kinds
// together (0 or more than MaxSyncList: MaxSyncList); answers SyncListing.
type SyncList struct {
	Buckets []byte
	After   VersionAddr
	Limit   int
}

// SyncListing answers SyncList. More says the page is full: ask again with After = Next.
type SyncListing struct {
	Addrs  []VersionAddr // retained versions
	Pruned []VersionAddr // the pruned set
	More   bool
	Next   VersionAddr
}

// SyncGet asks for the sealed records at Addrs (at most MaxSyncGet); answers SyncRecords.
type SyncGet struct{ Addrs []VersionAddr }

// SyncRecords answers SyncGet: the records this node retains, verbatim, each with the block
// addresses it references; Missing were not here (never, or pruned); Later did not fit in
// MaxSyncBytes and must be asked for again. Policy is as in VaultSummary.
type SyncRecords struct {
	Records []SyncRecord
	Missing []VersionAddr
	Later   []VersionAddr
	Policy  *SyncPolicy
}

// SyncRecord is one version record as it travels: its address, the sealed bytes (storev1.Version
// sealed with the vault's record cipher) and the addresses of the blocks it references, in
// order, which a node without the key keeps beside the record to hold those blocks.
type SyncRecord struct {
	Addr   VersionAddr
	Sealed []byte
	Blocks []BlockAddr
}

// SyncPolicy is the vault's policy record as it replicates: storev1.VaultPolicy sealed with the
// record cipher (so no node without the key can forge one) and its version in the clear (so a
// node without the key can keep the newest). Of two, the higher Version wins; at equal versions
// the one whose sealed bytes have the greater SHA-256.
type SyncPolicy struct {
	Version int64
	Sealed  []byte
}

// Newer reports whether p wins over q (a nil q loses to any policy).
func (p *SyncPolicy) Newer(q *SyncPolicy) bool {
	switch {
	case p == nil:
		return false
	case q == nil || p.Version != q.Version:
		return q == nil || p.Version > q.Version
	}
	a, b := sha256.Sum256(p.Sealed), sha256.Sum256(q.Sealed)
	return bytes.Compare(a[:], b[:]) > 0
}

// SyncApply merges what a peer sent: Records (at most MaxSyncApply; each refused unless Addr
// is the SHA-256 of Sealed), the peer's pruned addresses (at most MaxSyncPruned: retained ones
// are dropped, all join the pruned set) and its policy (kept if it wins). Records already here
// or in the pruned set (this apply's Pruned included) are skipped. Answers SyncApplied.
type SyncApply struct {
	Records []SyncRecord
	Pruned  []VersionAddr
	Policy  *SyncPolicy
}

// SyncApplied answers SyncApply with what it did, and the vault's root afterwards.
type SyncApplied struct {
	Added      int  `json:"added"`      // records inserted
	Present    int  `json:"present"`    // records already held
	Skipped    int  `json:"skipped"`    // records in the pruned set
	Unreadable int  `json:"unreadable"` // trusted only, not applied: the key does not open them, or their block list is not theirs
	Dropped    int  `json:"dropped"`    // retained versions the peer's pruned set removed
	Learned    int  `json:"learned"`    // addresses added to the pruned set, by the peer's list or by retention
	Conflicts  int  `json:"conflicts"`  // paths that became conflicts
	Policy     bool `json:"policy"`     // the peer's policy was adopted
	Root       [32]byte
	Versions   int64
}

// ObserveVault records in the registry a vault seen in the swarm whose key this node does not
// have: an untrusted vault (Name may be empty; Hold opts this node in to store and serve its
// sealed records and blocks). Observing a known untrusted vault again updates Hold and a
// non-empty Name; a trusted vault is ErrConflict. Answers VaultMeta.
type ObserveVault struct {
	ID   string
	Name string
	Hold bool
}

// Scrub and replication reports (docs/replication.md). Every command goes to entity vault/<id>,
// trusted, locked or untrusted alike: none needs the key.

// Limits of the scrub and replication commands.
const (
	MaxBlockRefs   = 10000 // addresses per BlockRefs page
	MaxScrubBlocks = 64    // block addresses a scrub record lists of each kind (the counts go on)
)

// ListBlockRefs asks for the blocks the vault's retained versions reference (its reference
// counts, ref/ keys), in address order, after After (zero: from the start), at most Limit (0 or
// more than MaxBlockRefs: MaxBlockRefs); answers BlockRefs.
type ListBlockRefs struct {
	After BlockAddr
	Limit int
}

// BlockRefs answers ListBlockRefs. More says the page is full: ask again with After = Next.
type BlockRefs struct {
	Addrs []BlockAddr
	More  bool
	Next  BlockAddr
}

// RecordScrub reports one scrub pass over the vault's referenced blocks: Checked blocks were
// read and verified against their addresses (Bytes read); Missing had no block file, Damaged a
// file whose bytes did not match; of those Missing+Damaged, Repaired were fetched again from a
// holder and Unrepaired were not. RepairedBlocks and UnrepairedBlocks list at most
// MaxScrubBlocks addresses each. The vault keeps it as its last scrub and reports
// block_repaired when it repaired any; answers ScrubRecord.
type RecordScrub struct {
	AtMs             int64 // when the pass started
	Checked          int
	Missing          int
	Damaged          int
	Repaired         int
	Unrepaired       int
	Bytes            int64
	RepairedBlocks   []BlockAddr
	UnrepairedBlocks []BlockAddr
}

// Check refuses negative counts, lists over MaxScrubBlocks or longer than their counts, and
// counts that do not add up (Repaired+Unrepaired = Missing+Damaged ≤ Checked).
func (m RecordScrub) Check() error {
	switch {
	case m.AtMs < 0 || m.Checked < 0 || m.Missing < 0 || m.Damaged < 0 || m.Repaired < 0 || m.Unrepaired < 0 || m.Bytes < 0:
		return Invalid("scrub", "negative count")
	case m.Missing+m.Damaged > m.Checked:
		return Invalid("scrub", "%d missing and %d damaged blocks of %d checked", m.Missing, m.Damaged, m.Checked)
	case m.Repaired+m.Unrepaired != m.Missing+m.Damaged:
		return Invalid("scrub", "%d repaired and %d unrepaired blocks, but %d missing or damaged", m.Repaired, m.Unrepaired, m.Missing+m.Damaged)
	case len(m.RepairedBlocks) > min(m.Repaired, MaxScrubBlocks) || len(m.UnrepairedBlocks) > min(m.Unrepaired, MaxScrubBlocks):
		return Invalid("scrub", "more block addresses than blocks, or over %d", MaxScrubBlocks)
	}
	return nil
}

// ScrubRecord answers RecordScrub; GetVault shows the last one (VaultStatus.LastScrub).
type ScrubRecord struct {
	AtMs             int64    `json:"at_ms"`       // the pass started
	FinishedMs       int64    `json:"finished_ms"` // the vault recorded it
	Checked          int      `json:"checked"`
	Bytes            int64    `json:"bytes"`
	Missing          int      `json:"missing"`
	Damaged          int      `json:"damaged"`
	Repaired         int      `json:"repaired"`
	Unrepaired       int      `json:"unrepaired"`
	UnrepairedBlocks []string `json:"unrepaired_blocks,omitempty"` // hex, at most MaxScrubBlocks
}

// RecordReplication reports a pull of the vault from Peer that changed something: Records
// applied, Pruned addresses learned, Blocks fetched (Bytes of them). The vault reports
// replication_progress, and block_replicated when blocks arrived, and keeps it as its last
// pull; a report of nothing is answered without either. Answers PullRecord.
type RecordReplication struct {
	Peer    string
	Records int
	Pruned  int
	Blocks  int
	Bytes   int64
}

// Check refuses negative counts and an empty or oversized peer id.
func (m RecordReplication) Check() error {
	switch {
	case m.Peer == "" || len(m.Peer) > MaxNodeID:
		return Invalid("peer", "is not a peer id")
	case m.Records < 0 || m.Pruned < 0 || m.Blocks < 0 || m.Bytes < 0:
		return Invalid("replication", "negative count")
	}
	return nil
}

// PullRecord answers RecordReplication; GetVault shows the last one (VaultStatus.LastPull).
type PullRecord struct {
	AtMs    int64  `json:"at_ms"`
	Peer    string `json:"peer"`
	Records int    `json:"records"`
	Pruned  int    `json:"pruned"`
	Blocks  int    `json:"blocks"`
	Bytes   int64  `json:"bytes"`
}
