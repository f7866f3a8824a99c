package vault_test

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
)

// TestScripts runs testdata/*.txt (coretest.Scripts: a command, "----", the output it must
// give — events, then the reply; -rewrite writes the output instead).
// Contents stand for themselves (versions show as v<n>, numbered in order of appearance).
//
//	put <path> <content> [base=<content>] [if-match=<content>]
//	delete|history|stat <path>      restore|resolve <path> <content>
//	list [prefix] [deleted]         usage      lock      unlock      reload
//	policy keep_versions=<n> | hard_quota=<n> | keep_deleted_for=<duration>
//	later <duration>                wake <timer>
//	blockrefs [after=<bN>] [limit=<n>]     the referenced blocks, named b1, b2 … in order of appearance
//	scrub checked=<n> missing=<n> damaged=<n> repaired=<bN,…> unrepaired=<bN,…> [bytes=<n>]
//	replicated peer=<id> records=<n> pruned=<n> blocks=<n> bytes=<n>
func TestScripts(t *testing.T) {
	coretest.Scripts(t, "testdata/*.txt", func(t *testing.T) func(string) string {
		s := &script{rig: newRig(t), names: map[string]string{}, contents: map[string]string{}}
		s.create(messages.VaultPolicy{}, false)
		return s.run
	})
}

type script struct {
	*rig
	names    map[string]string // version addr → v<n>
	contents map[string]string // content hash → content
	blocks   map[string]string // block addr → b<n>
	addrs    map[string]messages.BlockAddr
}

// run performs a block's last line (earlier lines are # comments) and describes the result.
func (s *script) run(block string) string {
	lines := strings.Split(block, "\n")
	f := strings.Fields(lines[len(lines)-1])
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	var reply any
	switch f[0] {
	case "put":
		cmd := messages.CommitUpload{Path: f[1], Manifest: manifest(f[2], 4), ContentType: "text/plain"}
		s.contents[hashOf(f[2])] = f[2]
		for _, opt := range f[3:] {
			k, v, _ := strings.Cut(opt, "=")
			if k == "base" {
				cmd.Base = hashOf(v)
			} else {
				cmd.IfMatch = hashOf(v)
			}
		}
		if reply = s.v.Step(messages.BeginUpload{Path: cmd.Path, Size: cmd.Manifest.Size, IfMatch: cmd.IfMatch, Base: cmd.Base}); !isErr(reply) {
			reply = s.v.Step(cmd)
		}
	case "delete":
		reply = s.v.Step(messages.DeleteFile{Path: f[1]})
	case "restore":
		reply = s.v.Step(messages.RestoreFile{Path: f[1], ContentHash: hashOf(f[2])})
	case "resolve":
		reply = s.v.Step(messages.ResolveConflict{Path: f[1], ContentHash: hashOf(f[2])})
	case "history":
		reply = s.v.Step(messages.GetHistory{Path: f[1]})
	case "stat":
		reply = s.v.Step(messages.StatFile{Path: f[1], IncludeDeleted: true})
	case "list":
		reply = s.v.Step(messages.ListFiles{Prefix: arg(1), IncludeDeleted: arg(2) == "deleted"})
	case "usage":
		reply = s.v.Step(messages.GetVault{})
	case "lock":
		reply = s.v.Step(messages.LockVault{})
	case "unlock":
		reply = s.v.Step(messages.UnlockVault{Key: testKey})
	case "reload":
		s.v.Reload()
		reply = s.v.Step(messages.GetVault{})
	case "policy":
		reply = s.v.Step(policyCmd(s.t, f[1]))
	case "later":
		d, _ := time.ParseDuration(f[1])
		s.later(d)
		return "ok"
	case "wake":
		reply = s.wake(f[1])
	case "blockrefs":
		cmd := messages.ListBlockRefs{}
		for _, opt := range f[1:] {
			k, v, _ := strings.Cut(opt, "=")
			if k == "after" {
				cmd.After = s.addr(v)
			} else {
				cmd.Limit, _ = strconv.Atoi(v)
			}
		}
		reply = s.v.Step(cmd)
	case "scrub":
		reply = s.v.Step(s.scrubCmd(f[1:]))
	case "replicated":
		cmd := messages.RecordReplication{}
		for _, opt := range f[1:] {
			k, v, _ := strings.Cut(opt, "=")
			n, _ := strconv.Atoi(v)
			switch k {
			case "peer":
				cmd.Peer = v
			case "records":
				cmd.Records = n
			case "pruned":
				cmd.Pruned = n
			case "blocks":
				cmd.Blocks = n
			case "bytes":
				cmd.Bytes = int64(n)
			}
		}
		reply = s.v.Step(cmd)
	default:
		s.t.Fatalf("unknown command %q", f[0])
	}
	var out []string
	for _, ev := range s.v.Events {
		out = append(out, "event "+s.event(ev.Type, ev.Data))
	}
	s.v.Events = nil
	return strings.Join(append(out, s.describe(reply)...), "\n")
}

// scrubCmd builds a RecordScrub that started an hour before the vault's clock; repaired= and
// unrepaired= name blocks (bN, comma-separated) and count them.
func (s *script) scrubCmd(opts []string) messages.RecordScrub {
	cmd := messages.RecordScrub{AtMs: s.v.Now.Add(-time.Hour).UnixMilli()}
	for _, opt := range opts {
		k, v, _ := strings.Cut(opt, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "checked":
			cmd.Checked = n
		case "missing":
			cmd.Missing = n
		case "damaged":
			cmd.Damaged = n
		case "bytes":
			cmd.Bytes = int64(n)
		case "repaired", "unrepaired":
			var list []messages.BlockAddr
			for _, b := range strings.Split(v, ",") {
				if b != "" {
					list = append(list, s.addr(b))
				}
			}
			if k == "repaired" {
				cmd.Repaired, cmd.RepairedBlocks = len(list), list
			} else {
				cmd.Unrepaired, cmd.UnrepairedBlocks = len(list), list
			}
		}
	}
	return cmd
}

// block names a block address b1, b2 … in order of appearance.
func (s *script) block(a messages.BlockAddr) string {
	if s.blocks == nil {
		s.blocks, s.addrs = map[string]string{}, map[string]messages.BlockAddr{}
	}
	h := a.String()
	if n, ok := s.blocks[h]; ok {
		return n
	}
	n := fmt.Sprintf("b%d", len(s.blocks)+1)
	s.blocks[h], s.addrs[n] = n, a
	return n
}

// addr is the block a script named; an unnamed bN is an address of its own, unreferenced.
func (s *script) addr(name string) messages.BlockAddr {
	if a, ok := s.addrs[name]; ok {
		return a
	}
	return messages.BlockAddr(sha256.Sum256([]byte(name)))
}

func isErr(reply any) bool { _, ok := reply.(error); return ok }

func policyCmd(t *testing.T, opt string) messages.SetPolicy {
	k, v, _ := strings.Cut(opt, "=")
	n, _ := strconv.ParseInt(v, 10, 64)
	switch k {
	case "keep_versions":
		i := int(n)
		return messages.SetPolicy{KeepVersions: &i}
	case "hard_quota":
		return messages.SetPolicy{HardQuota: &n}
	case "keep_deleted_for":
		d, _ := time.ParseDuration(v)
		ms := d.Milliseconds()
		return messages.SetPolicy{KeepDeletedForMs: &ms}
	}
	t.Fatalf("unknown policy field %q", k)
	return messages.SetPolicy{}
}

// name is a version's short name, v1, v2 … in order of appearance.
func (s *script) name(addr string) string {
	if n, ok := s.names[addr]; ok {
		return n
	}
	s.names[addr] = fmt.Sprintf("v%d", len(s.names)+1)
	return s.names[addr]
}

func (s *script) namesOf(addrs []string) string {
	var out []string
	for _, a := range addrs {
		out = append(out, s.name(a))
	}
	return "[" + strings.Join(out, " ") + "]"
}
